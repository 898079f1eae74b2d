// search.js - search results with snippets (GET /api/search): each hit names
// its document, page and heading and opens the source viewer on its passage.
// Snippets are a document's text: they go in as text, and only the words the
// server marked as matches are wrapped in <mark> (built as elements). The
// results can be summarized as a topic (POST /api/summarize in the ask view).

import { api, qs } from './api.js';
import { h, fill, say } from './dom.js';
import { openSource, basename } from './viewer.js';
import { state, on } from './state.js';
import { summarizeTopic } from './ask.js';

let form, input, mode, group, results, status, summarizeBtn;
let lastQuery = '';

export function initSearch() {
	form = document.getElementById('search-form');
	input = document.getElementById('search-q');
	mode = document.getElementById('search-mode');
	group = document.getElementById('search-group');
	results = document.getElementById('search-results');
	status = document.getElementById('search-status');
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		search();
	});
	summarizeBtn = document.getElementById('search-summarize');
	summarizeBtn.addEventListener('click', () => {
		location.hash = '#ask';
		summarizeTopic(lastQuery);
	});
	on('collection', updateModes);
	on('collections-read', updateModes);
}

// Search by meaning needs the collection's vectors: without them the
// dense and hybrid modes are offered but disabled, with the reason.
function updateModes() {
	const c = state.collections.find((x) => x.name === state.collection);
	const vectors = c && c.vectors > 0;
	for (const opt of mode.options) {
		if (opt.value !== 'dense' && opt.value !== 'hybrid') continue;
		opt.disabled = !vectors;
		opt.textContent = opt.dataset.label + (vectors ? '' : ' (needs an embedding model)');
	}
	if (!vectors && mode.selectedOptions[0]?.disabled) mode.value = 'auto';
}

async function search() {
	const q = input.value.trim();
	if (!q) return;
	say(status, 'Searching…');
	let r;
	try {
		r = await api('GET', '/api/search' + qs({
			q, mode: mode.value, collection: state.collection, group: group.checked ? 1 : '', k: 20,
		}));
	} catch (err) {
		fill(results);
		say(status, `Search failed: ${err.message}`, 'error');
		return;
	}
	const hits = r.results || [];
	const ms = r.timings?.total_ms;
	say(status, `${hits.length ? hits.length : 'No'} result${hits.length === 1 ? '' : 's'}` +
		(r.mode ? ` (${r.mode})` : '') + (ms != null ? ` in ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : ''));
	fill(results, hits.map(hitItem));
	summarizeBtn.hidden = !hits.length;
	summarizeBtn.textContent = `Summarize what the documents say about “${q}”`;
	lastQuery = q;
}

function hitItem(hit) {
	const title = hit.title || basename(hit.path) || 'Untitled document';
	const where = [hit.page != null ? `page ${hit.page}` : null, hit.heading].filter(Boolean).join(' · ');
	const btn = h('button', { type: 'button', class: 'link hit-title', 'aria-label': `Open the passage in ${title}` }, title);
	btn.addEventListener('click', () => openSource({ ...hit, n: null }, btn));
	return h('li', { class: 'hit' },
		btn,
		h('span', { class: 'path' }, hit.path || ''),
		where ? h('span', { class: 'muted' }, where) : null,
		h('p', { class: 'snippet' }, snippet(hit.snippet || '')));
}

// The server marks matched words as [word] in a snippet (as `docent search`
// does); those become <mark> elements, everything else stays text.
export function snippet(s) {
	const out = [];
	const re = /\[([^[\]\n]{1,80})\]/g;
	let last = 0, m;
	while ((m = re.exec(s))) {
		if (m.index > last) out.push(s.slice(last, m.index));
		out.push(h('mark', {}, m[1]));
		last = re.lastIndex;
	}
	if (last < s.length) out.push(s.slice(last));
	return out;
}
