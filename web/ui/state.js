// state.js - what the views share: the chosen collection (remembered in
// localStorage) and a small event bus, so that an upload refreshes the
// library and the collection counts, and a new conversation the list.
//
//   events: 'collection' (the choice changed), 'documents' (added or
//   removed), 'collections' (created or counts changed: read them again),
//   'collections-read' (state.collections is new), 'conversations'

const KEY = 'docent.collection';
export const bus = new EventTarget();

export const state = {
	collection: load(),
	collections: [], // the last GET /api/collections list
};

function load() {
	try {
		return localStorage.getItem(KEY) || '';
	} catch {
		return '';
	}
}

export function setCollection(name) {
	if (name === state.collection) return;
	state.collection = name;
	try {
		localStorage.setItem(KEY, name);
	} catch { /* not remembered: fine */ }
	emit('collection');
}

export const emit = (name, detail) => bus.dispatchEvent(new CustomEvent(name, { detail }));
export const on = (name, fn) => bus.addEventListener(name, (e) => fn(e.detail));

// A button that asks once more before it acts (no confirm() dialog): the
// first press changes its text to `confirmText`, the second within 5 s acts;
// leaving it (blur) or waiting puts it back.
export function confirmButton(btn, confirmText, action) {
	const label = btn.textContent;
	const aria = btn.getAttribute('aria-label');
	let armed = false, timer = 0;
	const reset = () => {
		armed = false;
		clearTimeout(timer);
		btn.textContent = label;
		if (aria) btn.setAttribute('aria-label', aria);
		btn.classList.remove('armed');
	};
	btn.addEventListener('click', async () => {
		if (!armed) {
			armed = true;
			btn.textContent = confirmText;
			if (aria) btn.setAttribute('aria-label', `${confirmText}: ${aria}`);
			btn.classList.add('armed');
			timer = setTimeout(reset, 5000);
			return;
		}
		reset();
		btn.disabled = true;
		try {
			await action();
		} finally {
			btn.disabled = false;
		}
	});
	btn.addEventListener('blur', reset);
}
