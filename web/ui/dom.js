// dom.js - builds page elements from data without ever parsing a string as
// HTML: text goes in as text nodes, attributes through setAttribute, so a
// document's title or snippet cannot become markup. Every view uses h().

// h('button', {class: 'x', onclick: fn, 'aria-label': 'Close'}, 'text', child...)
// Keys starting with "on" add event listeners; `hidden`/`disabled` and other
// booleans set or drop the attribute; null and undefined children are skipped.
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (k === 'dataset') Object.assign(el.dataset, v);
		else if (v === true) el.setAttribute(k, '');
		else el.setAttribute(k, String(v));
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false) continue;
		if (Array.isArray(c)) append(el, c);
		else if (c instanceof Node) el.appendChild(c);
		else el.appendChild(document.createTextNode(String(c)));
	}
}

// Replaces an element's children (the same rules as h()).
export function fill(el, ...children) {
	el.replaceChildren();
	append(el, children);
	return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// A byte count for people: 1.2 MB.
export function bytes(n) {
	if (n == null) return '';
	const u = ['B', 'kB', 'MB', 'GB'];
	let i = 0;
	while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
	return `${i ? n.toFixed(1) : n} ${u[i]}`;
}

// A time for people from seconds since the epoch or an ISO string.
export function when(t) {
	if (t == null || t === '') return '';
	const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
	return isNaN(d) ? String(t) : d.toLocaleString();
}

// A status line under a form (role=status elsewhere announces it).
export function say(el, text, kind) {
	el.textContent = text || '';
	el.classList.toggle('error', kind === 'error');
}
