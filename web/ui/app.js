// app.js - docent's page: the entry point that esbuild bundles (with marked
// and DOMPurify) into the binary's /app.js. It wires the views (ask, search,
// library, conversations), the collection switcher and the source viewer,
// and switches views by the URL's #fragment so that Back works.

import { api } from './api.js';
import { initAsk } from './ask.js';
import { initCollections } from './collections.js';
import { initConversations, refreshConversations } from './conversations.js';
import { initLibrary, refreshDocuments } from './library.js';
import { initSearch } from './search.js';
import { initViewer } from './viewer.js';

const VIEWS = ['ask', 'search', 'library', 'conversations'];
const loaded = new Set();

function show(name, focus) {
	if (!VIEWS.includes(name)) name = 'ask';
	for (const v of VIEWS) {
		document.getElementById(`view-${v}`).hidden = v !== name;
		const link = document.querySelector(`nav a[href="#${v}"]`);
		if (v === name) link.setAttribute('aria-current', 'page');
		else link.removeAttribute('aria-current');
	}
	// a view reads its data the first time it is shown
	if (!loaded.has(name)) {
		loaded.add(name);
		if (name === 'library') refreshDocuments();
		if (name === 'conversations') refreshConversations();
	}
	if (focus) document.getElementById(`view-${name}`).querySelector('[data-autofocus]')?.focus();
}

const current = () => location.hash.slice(1) || 'ask';

async function main() {
	initViewer();
	initAsk();
	initSearch();
	initLibrary();
	initConversations(() => { location.hash = '#ask'; });
	// other fragments (the skip link's #main) leave the view as it is
	window.addEventListener('hashchange', () => {
		if (VIEWS.includes(current())) show(current(), true);
	});
	show(current(), false);
	await initCollections();
	try {
		const hl = await api('GET', '/api/health');
		document.getElementById('version').textContent = `docent ${hl.version || ''}`;
	} catch (err) {
		document.getElementById('version').textContent = `The server does not answer: ${err.message}`;
	}
	document.body.dataset.ready = '1';
}

main();
