// library.js - the document library: the collection's documents a page at a
// time (GET /api/documents), uploads by drag and drop or a file picker, one
// request per file so that each has its own progress bar and error (the
// upload's bytes, then its ingest job's progress from GET /api/jobs/ID), and
// removal (DELETE /api/documents/ID, pressed twice); Summarize streams the
// document's summary into the ask view.

import { api, qs, upload } from './api.js';
import { h, fill, say, bytes, when } from './dom.js';
import { state, on, emit, confirmButton } from './state.js';
import { basename } from './viewer.js';
import { summarizeDocument } from './ask.js';

const PAGE = 20;
const PARALLEL = 2; // uploads at a time; the rest wait their turn
let list, pager, summary, uploads, filter, status;
let offset = 0;
const queue = [];
let active = 0;

export function initLibrary() {
	list = document.getElementById('documents');
	pager = document.getElementById('doc-pager');
	summary = document.getElementById('doc-summary');
	uploads = document.getElementById('uploads');
	filter = document.getElementById('doc-status');
	status = document.getElementById('library-status');
	const zone = document.getElementById('dropzone');
	const input = document.getElementById('file-input');

	document.getElementById('pick-files').addEventListener('click', () => input.click());
	input.addEventListener('change', () => {
		addFiles(input.files);
		input.value = '';
	});
	// drag and drop: the zone lights up while files are over it
	let depth = 0;
	zone.addEventListener('dragenter', (e) => {
		if (!hasFiles(e)) return;
		e.preventDefault();
		depth++;
		zone.classList.add('over');
	});
	zone.addEventListener('dragover', (e) => {
		if (!hasFiles(e)) return;
		e.preventDefault();
		e.dataTransfer.dropEffect = 'copy';
	});
	zone.addEventListener('dragleave', () => {
		if (--depth <= 0) { depth = 0; zone.classList.remove('over'); }
	});
	zone.addEventListener('drop', (e) => {
		e.preventDefault();
		depth = 0;
		zone.classList.remove('over');
		addFiles(e.dataTransfer.files);
	});
	// files dropped anywhere else on the page are uploaded too (the library
	// comes forward to show them) rather than opened by the browser
	window.addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault(); });
	window.addEventListener('drop', (e) => {
		if (!hasFiles(e) || e.defaultPrevented) return; // the zone took it
		e.preventDefault();
		location.hash = '#library';
		addFiles(e.dataTransfer.files);
	});

	const head = document.getElementById('uploads-head');
	document.getElementById('clear-uploads').addEventListener('click', () => {
		for (const row of uploads.querySelectorAll('li.done, li.failed')) row.remove();
		head.hidden = true;
		document.getElementById('pick-files').focus();
	});
	// the button shows once an upload has finished
	new MutationObserver(() => {
		head.hidden = !uploads.querySelector('li.done, li.failed');
	}).observe(uploads, { subtree: true, attributes: true, attributeFilter: ['class'], childList: true });

	filter.addEventListener('change', () => { offset = 0; refreshDocuments(); });
	on('collection', () => { offset = 0; refreshDocuments(); });
	on('documents', refreshDocuments);
}

const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');

function addFiles(files) {
	for (const file of files) {
		const row = uploadRow(file);
		uploads.prepend(row.el);
		queue.push({ file, row, collection: state.collection });
	}
	pump();
}

function pump() {
	while (active < PARALLEL && queue.length) {
		const item = queue.shift();
		active++;
		send(item).finally(() => { active--; pump(); });
	}
}

function uploadRow(file) {
	const bar = h('progress', { max: '1', value: '0', 'aria-label': `Progress of ${file.name}` });
	const text = h('span', { class: 'upload-state' }, 'Waiting');
	const el = h('li', { class: 'upload' },
		h('span', { class: 'name' }, file.name), h('span', { class: 'muted' }, bytes(file.size)), bar, text);
	return {
		el,
		set(fraction, msg, kind) {
			if (fraction == null) bar.removeAttribute('value');
			else bar.value = fraction;
			text.textContent = msg;
			el.classList.toggle('failed', kind === 'error');
			el.classList.toggle('done', kind === 'done');
			if (kind === 'error') text.setAttribute('role', 'alert');
		},
	};
}

async function send({ file, row, collection }) {
	let job;
	try {
		row.set(0, 'Uploading');
		const r = await upload(file, collection, (f) => row.set(f * 0.5, `Uploading ${Math.round(f * 100)} %`));
		job = r.job;
	} catch (err) {
		row.set(0, `Not uploaded: ${err.message}`, 'error');
		return;
	}
	row.set(0.5, 'Waiting to be read');
	// the ingest job's progress fills the second half of the bar
	for (let delay = 150; ; delay = Math.min(delay * 1.5, 1000)) {
		await new Promise((res) => setTimeout(res, delay));
		let j;
		try {
			j = await api('GET', `/api/jobs/${encodeURIComponent(job)}`);
		} catch (err) {
			row.set(null, `Progress unknown: ${err.message}`, 'error');
			return;
		}
		const f = (j.files || [])[0] || {};
		const frac = j.total ? j.done / j.total : 0;
		if (j.state === 'queued') row.set(0.5, 'Waiting to be read');
		else if (j.state === 'running') row.set(0.5 + frac * 0.5, 'Reading and indexing');
		else {
			if (j.state === 'failed' || f.status === 'failed' || j.failed > 0)
				row.set(1, `Failed: ${f.error || 'the file could not be read'}`, 'error');
			else
				row.set(1, { added: 'Added', updated: 'Updated', unchanged: 'Unchanged (already in the library)' }[f.status] || 'Done', 'done');
			emit('documents');
			return;
		}
	}
}

export async function refreshDocuments() {
	let r;
	try {
		r = await api('GET', '/api/documents' + qs({
			collection: state.collection, offset, limit: PAGE, status: filter.value,
		}));
	} catch (err) {
		say(status, `The library could not be read: ${err.message}`, 'error');
		return;
	}
	say(status, '');
	const docs = r.documents || [];
	const total = r.total ?? docs.length;
	if (!docs.length && offset > 0 && total > 0) {
		// the last page emptied (a removal): step back
		offset = Math.max(0, offset - PAGE);
		return refreshDocuments();
	}
	summary.textContent = total
		? `${total} document${total === 1 ? '' : 's'}${total > PAGE ? `, ${offset + 1}–${offset + docs.length} shown` : ''}`
		: 'No documents yet: drop files above or choose them.';
	fill(list, docs.map(docItem));
	const prev = h('button', { type: 'button', disabled: offset === 0 }, 'Previous');
	const next = h('button', { type: 'button', disabled: offset + docs.length >= total }, 'Next');
	prev.addEventListener('click', () => { offset = Math.max(0, offset - PAGE); refreshDocuments(); });
	next.addEventListener('click', () => { offset += PAGE; refreshDocuments(); });
	fill(pager, total > PAGE ? [prev, next] : []);
}

function docItem(d) {
	const title = d.title || basename(d.path) || 'Untitled document';
	const rm = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${title}` }, 'Remove');
	confirmButton(rm, 'Press again to remove', async () => {
		try {
			await api('DELETE', `/api/documents/${encodeURIComponent(d.id)}`);
			say(status, `Removed “${title}”.`);
			emit('documents');
		} catch (err) {
			say(status, `Not removed: ${err.message}`, 'error');
		}
	});
	const sum = h('button', { type: 'button', 'aria-label': `Summarize ${title}` }, 'Summarize');
	sum.addEventListener('click', () => {
		location.hash = '#ask';
		summarizeDocument(d, title);
	});
	const facts = [d.format, d.pages ? `${d.pages} page${d.pages === 1 ? '' : 's'}` : null,
		bytes(d.size), d.chunks != null ? `${d.chunks} chunk${d.chunks === 1 ? '' : 's'}` : null,
		when(d.ingested_at)].filter(Boolean).join(' · ');
	return h('li', { class: `doc${d.status === 'error' ? ' failed' : ''}` },
		h('div', { class: 'doc-main' },
			h('span', { class: 'doc-title' }, title),
			h('span', { class: 'path' }, d.path || ''),
			h('span', { class: 'muted' }, facts),
			d.status === 'error' ? h('span', { class: 'error' }, `Not readable: ${d.error || 'unknown error'}`) : null),
		h('div', { class: 'doc-actions' }, d.status === 'error' ? null : sum, rm));
}
