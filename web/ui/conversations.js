// conversations.js - the stored conversations (GET /api/conversations):
// open one to read and continue it in the ask view, or delete it.

import { api } from './api.js';
import { h, fill, say, when } from './dom.js';
import { on, confirmButton } from './state.js';
import { showConversation } from './ask.js';

let list, status;
let showAskView = () => {};

// showView() brings the ask view forward when a conversation is opened.
export function initConversations(showView) {
	showAskView = showView;
	list = document.getElementById('conversations');
	status = document.getElementById('conversations-status');
	document.getElementById('refresh-conversations').addEventListener('click', refreshConversations);
	on('conversations', refreshConversations);
}

export async function refreshConversations() {
	let r;
	try {
		r = await api('GET', '/api/conversations');
	} catch (err) {
		say(status, `The conversations could not be read: ${err.message}`, 'error');
		return;
	}
	const convs = r.conversations || [];
	say(status, convs.length ? '' : 'No conversations yet: ask a question.');
	fill(list, convs.map(item));
}

function item(c) {
	const title = c.title || `Conversation ${c.id}`;
	const open = h('button', { type: 'button', class: 'link conv-title', 'aria-label': `Open conversation: ${title}` }, title);
	open.addEventListener('click', async () => {
		try {
			const conv = await api('GET', `/api/conversations/${encodeURIComponent(c.id)}`);
			showAskView();
			showConversation(conv);
		} catch (err) {
			say(status, `Not opened: ${err.message}`, 'error');
		}
	});
	const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete conversation: ${title}` }, 'Delete');
	confirmButton(del, 'Press again to delete', async () => {
		try {
			await api('DELETE', `/api/conversations/${encodeURIComponent(c.id)}`);
			say(status, `Deleted “${title}”.`);
			refreshConversations();
		} catch (err) {
			say(status, `Not deleted: ${err.message}`, 'error');
		}
	});
	const facts = [c.collection, c.turns != null ? `${c.turns} turn${c.turns === 1 ? '' : 's'}` : null,
		when(c.updated_at)].filter(Boolean).join(' · ');
	return h('li', { class: 'conv' }, h('div', { class: 'conv-main' }, open, h('span', { class: 'muted' }, facts)), del);
}
