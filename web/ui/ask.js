// ask.js - the ask box and the conversation it builds: each question goes
// to POST /api/chat (the conversation continues until "New conversation"),
// the answer streams in as Markdown, then the final event brings the checked
// answer, its mode and citations: the markers become buttons that open the
// source viewer, and the sources are listed under the answer. A stored
// conversation (conversations.js) opens here and can be continued, and a
// document's summary (the library's Summarize) streams here too.

import { stream } from './api.js';
import { h, fill } from './dom.js';
import { renderAnswer } from './markdown.js';
import { openSource, basename } from './viewer.js';
import { state, emit, setCollection } from './state.js';

let thread, form, question, askBtn, stopBtn, newBtn, convLabel;
let conversation = null; // the id of the conversation being continued
let running = null;      // the AbortController of the answer streaming now

export function initAsk() {
	thread = document.getElementById('thread');
	form = document.getElementById('ask-form');
	question = document.getElementById('question');
	askBtn = document.getElementById('ask');
	stopBtn = document.getElementById('stop');
	newBtn = document.getElementById('new-conversation');
	convLabel = document.getElementById('conversation-label');

	form.addEventListener('submit', (e) => {
		e.preventDefault();
		ask();
	});
	// Enter asks, Shift+Enter starts a new line (and IME composition is left alone)
	question.addEventListener('keydown', (e) => {
		if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
			e.preventDefault();
			ask();
		}
	});
	stopBtn.addEventListener('click', () => running?.abort());
	newBtn.addEventListener('click', () => {
		newConversation();
		question.focus();
	});
	showEmpty();
}

function showEmpty() {
	fill(thread, h('p', { class: 'muted empty' },
		'Ask a question about your documents. The answer cites its sources: press a [number] to read the passage.'));
}

export function newConversation() {
	running?.abort();
	conversation = null;
	convLabel.textContent = '';
	showEmpty();
}

function setRunning(on) {
	askBtn.disabled = on;
	stopBtn.hidden = !on;
	thread.setAttribute('aria-busy', String(on));
}

function ask() {
	const text = question.value.trim();
	if (!text || running) return;
	question.value = '';
	run(text, '/api/chat', { conversation, message: text, collection: state.collection || undefined });
}

// Summarizes one document (the library's Summarize button): the summary
// streams into a turn of its own, outside the conversation.
export function summarizeDocument(doc, title) {
	if (running) running.abort();
	run(`Summary of “${title}”`, '/api/summarize', { document: doc.id });
}

// Summarizes what the collection's documents say about a topic (the search
// view's Summarize button).
export function summarizeTopic(topic) {
	if (running) running.abort();
	run(`Summary: ${topic}`, '/api/summarize', { query: topic, collection: state.collection || undefined });
}

// Streams one answer (or summary) from `path` into a new turn.
async function run(text, path, body) {
	if (thread.querySelector('.empty')) thread.replaceChildren();
	const turn = addTurn(text);
	const ctl = new AbortController();
	running = ctl;
	setRunning(true);
	let acc = '', frame = 0;
	const paint = () => {
		frame = 0;
		fill(turn.body, renderAnswer(acc, () => {}, () => false));
	};
	turn.status.textContent = path === '/api/summarize' ? 'Reading the document…' : 'Searching the documents…';
	try {
		const done = await stream(path, body, {
			token(d) {
				if (!acc) turn.status.textContent = path === '/api/summarize' ? 'Summarizing…' : 'Answering…';
				acc += d.text || '';
				if (!frame) frame = requestAnimationFrame(paint);
			},
			done(d) {
				cancelAnimationFrame(frame);
				frame = 0;
				if (d.conversation != null && conversation == null) {
					conversation = d.conversation;
					convLabel.textContent = `Conversation ${conversation}`;
				}
				showAnswer(turn, d);
			},
		}, ctl.signal);
		if (done.conversation != null) emit('conversations'); // its turns changed
	} catch (err) {
		cancelAnimationFrame(frame);
		if (err.name === 'AbortError') {
			paint();
			turn.status.textContent = 'Stopped.';
		} else {
			turn.status.textContent = '';
			turn.el.querySelector('.answer').append(h('p', { class: 'error', role: 'alert' },
				err.code === 'busy' ? `The server is busy: ${err.message}` : `No answer: ${err.message}`));
		}
	} finally {
		if (running === ctl) {
			running = null;
			setRunning(false);
			question.focus();
		}
	}
}

function addTurn(text) {
	const status = h('p', { class: 'status muted' });
	const body = h('div', { class: 'md' });
	const el = h('article', { class: 'turn' },
		h('div', { class: 'question' }, h('span', { class: 'visually-hidden' }, 'You asked: '), text),
		h('div', { class: 'answer' }, status, body));
	thread.append(el);
	el.scrollIntoView({ block: 'nearest' });
	return { el, status, body };
}

const MODES = {
	generated: ['generated', 'Generated from the documents'],
	extractive: ['extractive', 'Extractive answer: sentences quoted from the documents (no language model set)'],
	no_evidence: ['no-evidence', 'No evidence: the documents do not answer this'],
};

const SUMMARY_MODES = {
	generated: ['generated', 'Summary written by the language model'],
	extractive: ['extractive', 'Extractive summary: the central sentences (no language model set)'],
};

// Renders a finished answer object (from `done`, or a stored message) into a turn.
function showAnswer(turn, d) {
	const text = d.answer ?? d.content ?? d.summary ?? '';
	const cites = new Map((d.citations || []).map((c) => [Number(c.n), c]));
	const open = (n, btn) => {
		const c = cites.get(n);
		if (c) openSource(c, btn);
	};
	fill(turn.body, renderAnswer(text, open, (n) => cites.has(n)));
	const mode = d.summary !== undefined ? SUMMARY_MODES[d.mode] : MODES[d.mode];
	fill(turn.status, mode ? h('span', { class: `badge ${mode[0]}` }, mode[1]) : '');
	if (d.timings?.total_ms != null)
		turn.status.append(' ', h('span', { class: 'muted' }, `${Math.round(d.timings.total_ms)} ms`));
	const extra = [];
	if (d.removed_citations?.length)
		extra.push(h('p', { class: 'muted' },
			`Removed citations of passages that do not exist: ${d.removed_citations.map((n) => `[${n}]`).join(' ')}`));
	if (d.references?.length)
		extra.push(h('section', { class: 'sources', 'aria-label': 'References' },
			h('h3', {}, 'References'),
			h('p', { class: 'muted' }, [d.document?.title || basename(d.document?.path), d.document?.path]
				.filter(Boolean).join(' · ')),
			h('ul', {}, d.references.map((r) => h('li', {}, r)))));
	const list = cites.size ? [...cites.values()] : (d.mode === 'no_evidence' ? d.context || [] : []);
	if (list.length)
		extra.push(h('section', { class: 'sources', 'aria-label': cites.size ? 'Sources' : 'Nearest passages' },
			h('h3', {}, cites.size ? 'Sources' : 'Nearest passages'),
			h('ol', {}, list.map((c) => sourceItem(c)))));
	turn.el.querySelector('.answer').append(...extra);
}

function sourceItem(c) {
	const title = c.title || basename(c.path) || 'Untitled document';
	const where = [c.page != null ? `page ${c.page}` : null, c.heading].filter(Boolean).join(' · ');
	const btn = h('button', { type: 'button', class: 'link', 'aria-label': `Open source ${c.n}: ${title}` },
		c.n != null ? `[${c.n}] ` : '', title);
	btn.addEventListener('click', () => openSource(c, btn));
	return h('li', { class: 'source' },
		btn,
		c.path ? h('span', { class: 'path' }, c.path) : null,
		where ? h('span', { class: 'muted' }, where) : null,
		c.text ? h('p', { class: 'excerpt' }, clip(c.text, 280)) : null);
}

const clip = (s, n) => (s.length > n ? s.slice(0, n).trimEnd() + ' …' : s);

// Shows a stored conversation (GET /api/conversations/ID) so that the next
// question continues it.
export function showConversation(conv) {
	running?.abort();
	// a conversation goes on in the collection it was held in
	if (conv.collection && conv.collection !== state.collection) setCollection(conv.collection);
	conversation = conv.id;
	convLabel.textContent = conv.title ? `Conversation: ${conv.title}` : `Conversation ${conv.id}`;
	thread.replaceChildren();
	let turn = null;
	for (const m of conv.messages || []) {
		if (m.role === 'user') {
			turn = addTurn(m.content || '');
		} else if (m.role === 'assistant') {
			if (!turn) turn = addTurn('');
			showAnswer(turn, m);
			turn = null;
		}
	}
	if (!thread.children.length) showEmpty();
	question.focus();
}
