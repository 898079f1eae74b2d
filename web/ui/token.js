// token.js - the access token a server may require (server.token or
// DOCENT_TOKEN): asked for in a dialog when the API answers 401, kept in
// localStorage and sent as a Bearer token. One prompt at a time: requests
// that fail together wait for the same answer.

const KEY = 'docent.token';
let pending = null;

export function getToken() {
	try {
		return localStorage.getItem(KEY) || '';
	} catch {
		return '';
	}
}

export function setToken(t) {
	try {
		if (t) localStorage.setItem(KEY, t);
		else localStorage.removeItem(KEY);
	} catch { /* storage refused (private mode): the token lasts this page only */ }
}

// Shows the token dialog; resolves true when a token was entered, false when
// the person cancelled. `note` says why it is asked again.
export function askToken(note) {
	if (pending) return pending;
	const dlg = document.getElementById('token-dialog');
	const form = dlg.querySelector('form');
	const input = dlg.querySelector('input');
	dlg.querySelector('.note').textContent = note || '';
	input.value = '';
	pending = new Promise((resolve) => {
		const done = (ok) => {
			form.removeEventListener('submit', onSubmit);
			dlg.removeEventListener('close', onClose);
			pending = null;
			resolve(ok);
		};
		const onSubmit = (e) => {
			e.preventDefault();
			if (e.submitter?.value === 'cancel') { dlg.close(); return; }
			const t = input.value.trim();
			if (!t) return;
			setToken(t);
			dlg.removeEventListener('close', onClose);
			dlg.close();
			done(true);
		};
		const onClose = () => done(false);
		form.addEventListener('submit', onSubmit);
		dlg.addEventListener('close', onClose);
		dlg.showModal();
		input.focus();
	});
	return pending;
}
