// collections.js - the collection switcher in the header: the list from
// GET /api/collections (with document counts), the choice kept in state.js,
// a small form to create one (POST /api/collections), and removal of the
// chosen one (DELETE /api/collections/NAME, pressed twice: its documents
// leave docent, the files stay where they are).

import { api } from './api.js';
import { h, fill, say } from './dom.js';
import { state, setCollection, on, emit, confirmButton } from './state.js';

let select, form, input, status, remove;

export function initCollections() {
	select = document.getElementById('collection');
	form = document.getElementById('new-collection-form');
	input = document.getElementById('new-collection-name');
	status = document.getElementById('collection-status');
	const toggle = document.getElementById('new-collection');
	remove = document.getElementById('remove-collection');

	select.addEventListener('change', () => setCollection(select.value));
	toggle.addEventListener('click', () => {
		form.hidden = !form.hidden;
		toggle.setAttribute('aria-expanded', String(!form.hidden));
		if (!form.hidden) input.focus();
	});
	form.addEventListener('reset', () => {
		form.hidden = true;
		toggle.setAttribute('aria-expanded', 'false');
		say(status, '');
		toggle.focus();
	});
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const name = input.value.trim();
		if (!name) return;
		try {
			await api('POST', '/api/collections', { name });
			input.value = '';
			form.hidden = true;
			toggle.setAttribute('aria-expanded', 'false');
			say(status, `Collection “${name}” created.`);
			await refreshCollections();
			setCollection(name);
			select.value = name;
			select.focus();
		} catch (err) {
			say(status, err.code === 'conflict' ? `A collection “${name}” already exists.` : err.message, 'error');
		}
	});
	confirmButton(remove, 'Press again to remove', async () => {
		const name = select.value;
		if (!name) return;
		try {
			await api('DELETE', `/api/collections/${encodeURIComponent(name)}`);
			await refreshCollections(); // a new choice refreshes the library
			say(status, `Collection “${name}” removed (its files stay where they are).`);
		} catch (err) {
			say(status, err.message, 'error');
		}
	});
	on('collection', () => { if (select.value !== state.collection) select.value = state.collection; });
	on('collections', refreshCollections);
	on('documents', refreshCollections);
	return refreshCollections();
}

export async function refreshCollections() {
	let list = [];
	try {
		list = (await api('GET', '/api/collections')).collections || [];
	} catch (err) {
		say(status, `Collections: ${err.message}`, 'error');
		return list;
	}
	say(status, '');
	state.collections = list;
	const names = list.map((c) => c.name);
	// the remembered choice may be gone (removed elsewhere); "" is the
	// server's default collection
	if (!names.length) setCollection('');
	else if (!names.includes(state.collection))
		setCollection(names.includes('default') ? 'default' : names[0]);
	const opts = list.map((c) => h('option', { value: c.name },
		`${c.name} (${c.documents ?? 0} document${c.documents === 1 ? '' : 's'})`));
	if (!opts.length) opts.push(h('option', { value: '' }, 'default (empty)'));
	fill(select, opts);
	select.value = state.collection;
	remove.hidden = !names.length;
	emit('collections-read');
	return list;
}
