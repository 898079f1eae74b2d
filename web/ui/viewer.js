// viewer.js - the source viewer: a modal dialog that shows the passage a
// citation or a search hit points at, with the text around it and the cited
// span highlighted, its document's title, path and page. All of it is a
// document's text, so it goes in as text nodes only. Escape closes it (the
// dialog's own behaviour) and focus goes back to what opened it.

import { api, qs } from './api.js';
import { h, fill } from './dom.js';

let dlg, body, heading, opener = null;

export function initViewer() {
	dlg = document.getElementById('viewer');
	body = dlg.querySelector('.viewer-body');
	heading = dlg.querySelector('#viewer-title');
	dlg.querySelector('.close').addEventListener('click', () => dlg.close());
	dlg.addEventListener('close', () => {
		if (opener && opener.isConnected) opener.focus();
		opener = null;
	});
	// a click on the backdrop (outside the box) closes too
	dlg.addEventListener('click', (e) => { if (e.target === dlg) dlg.close(); });
}

// src: {document_id, start_byte, end_byte, title?, path?, page?, heading?, n?}
export async function openSource(src, from) {
	opener = from || document.activeElement;
	heading.textContent = src.n ? `Source [${src.n}]` : 'Source';
	fill(body, h('p', { class: 'muted' }, 'Loading the passage…'));
	if (!dlg.open) dlg.showModal();
	if (src.document_id == null) {
		fill(body, meta(src), h('div', { class: 'passage' }, h('mark', {}, src.text || '')));
		return;
	}
	try {
		const r = await api('GET', `/api/documents/${encodeURIComponent(src.document_id)}/text` +
			qs({ start: src.start_byte, end: src.end_byte }));
		const d = r.document || {};
		const mark = h('mark', { id: 'viewer-mark' }, r.text || '');
		fill(body,
			meta({ title: d.title || src.title, path: d.path || src.path,
				page: r.page ?? src.page, heading: r.heading || src.heading,
				format: d.format, start: r.start_byte, end: r.end_byte }),
			h('div', { class: 'passage', tabindex: '0', 'aria-label': 'The passage in its document' },
				// "…" where the text shown does not start at the document's start
				r.before && r.start_byte > utf8Length(r.before) ? '… ' : '',
				tidy(r.before, 'start'), mark, tidy(r.after, 'end')));
		mark.scrollIntoView({ block: 'center' });
	} catch (e) {
		fill(body, meta(src), h('p', { class: 'error', role: 'alert' },
			`The passage could not be read: ${e.message}`),
		src.text ? h('div', { class: 'passage' }, h('mark', {}, src.text)) : null);
	}
}

function meta(m) {
	const page = m.page != null && m.page !== '' ? `page ${m.page}` : null;
	return h('div', { class: 'source-meta' },
		h('p', { class: 'doc-title' }, m.title || basename(m.path) || 'Untitled document'),
		m.path ? h('p', { class: 'path' }, m.path) : null,
		h('p', { class: 'muted' }, [page, m.heading, m.format,
			m.start != null ? `bytes ${m.start}–${m.end}` : null].filter(Boolean).join(' · ')));
}

export function basename(p) {
	if (!p) return '';
	const i = p.lastIndexOf('/');
	return i < 0 ? p : p.slice(i + 1);
}

const utf8Length = (s) => new TextEncoder().encode(s).length;

// Runs of blank lines (where the extracted text had blocks it kept apart)
// shown as one, and none at the outer edge of the shown text.
function tidy(s, edge) {
	if (!s) return '';
	s = s.replace(/\n(?:[ \t]*\n){2,}/g, '\n\n');
	return edge === 'start' ? s.replace(/^\s+/, '') : s.replace(/\s+$/, '');
}
