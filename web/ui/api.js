// api.js - the page's only way to the server: JSON requests, the streamed
// answers (server-sent events read from a fetch body), and uploads with
// progress. A 401 asks the person for the access token once (token.js),
// keeps it in localStorage and repeats the request with it as a Bearer token.

import { askToken, getToken } from './token.js';

// An error from the API: status, the stable code, and the server's message.
export class ApiError extends Error {
	constructor(status, code, message, retryAfter) {
		super(message || code || `HTTP ${status}`);
		this.status = status;
		this.code = code || 'http_' + status;
		this.retryAfter = retryAfter;
	}
}

function headers(extra) {
	const h = { ...extra };
	const t = getToken();
	if (t) h.Authorization = 'Bearer ' + t;
	return h;
}

async function errorOf(res) {
	let code, message;
	try {
		const body = await res.json();
		code = body?.error?.code;
		message = body?.error?.message;
	} catch { /* not JSON: keep the status */ }
	const ra = res.headers.get('Retry-After');
	if (res.status === 503 && ra && message) message += ` (try again in ${ra} s)`;
	return new ApiError(res.status, code, message || res.statusText, ra);
}

// fetch() with the token; on 401 asks for a token and tries again until the
// server accepts it or the person cancels (then the 401 error is thrown).
async function send(path, init = {}) {
	for (;;) {
		const res = await fetch(path, { ...init, headers: headers(init.headers) });
		if (res.status !== 401) return res;
		const err = await errorOf(res);
		if (!(await askToken(getToken() ? 'The token was not accepted.' : ''))) throw err;
	}
}

// query string from an object, leaving out empty values
export function qs(params) {
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {}))
		if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
	const s = u.toString();
	return s ? '?' + s : '';
}

// GET/POST/DELETE a JSON endpoint; resolves to the parsed body, throws ApiError.
export async function api(method, path, body) {
	const init = { method };
	if (body !== undefined) {
		init.body = JSON.stringify(body);
		init.headers = { 'Content-Type': 'application/json' };
	}
	const res = await send(path, init);
	if (!res.ok) throw await errorOf(res);
	return res.status === 204 ? null : res.json();
}

// POST a JSON body with "stream": true and read the server-sent events:
// on.token({text}) for each piece, then on.done(answer); an `error` event
// or an HTTP error throws ApiError. `signal` (an AbortController's) stops it.
export async function stream(path, body, on, signal) {
	const res = await send(path, {
		method: 'POST',
		body: JSON.stringify({ ...body, stream: true }),
		headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
		signal,
	});
	if (!res.ok) throw await errorOf(res);
	const type = res.headers.get('Content-Type') || '';
	if (!type.startsWith('text/event-stream')) {
		// a server that answered in one piece: the answer object itself
		const whole = await res.json();
		on.done(whole);
		return whole;
	}
	const reader = res.body.getReader();
	const dec = new TextDecoder();
	let buf = '';
	let result = null;
	for (;;) {
		const { value, done } = await reader.read();
		buf += dec.decode(value || new Uint8Array(), { stream: !done });
		// events end at a blank line; keep the unfinished tail for the next read
		let m;
		while ((m = /\r?\n\r?\n/.exec(buf))) {
			const raw = buf.slice(0, m.index);
			buf = buf.slice(m.index + m[0].length);
			const ev = parseEvent(raw);
			if (!ev) continue;
			if (ev.event === 'token') on.token(ev.data);
			else if (ev.event === 'done') { result = ev.data; on.done(ev.data); }
			else if (ev.event === 'error')
				throw new ApiError(200, ev.data?.code, ev.data?.message);
		}
		if (done) break;
	}
	if (!result) throw new ApiError(0, 'incomplete', 'The answer stopped before it was complete.');
	return result;
}

function parseEvent(raw) {
	let event = 'message';
	const data = [];
	for (const line of raw.split(/\r?\n/)) {
		if (line.startsWith(':')) continue; // a comment (keep-alive)
		const i = line.indexOf(':');
		const field = i < 0 ? line : line.slice(0, i);
		let v = i < 0 ? '' : line.slice(i + 1);
		if (v.startsWith(' ')) v = v.slice(1);
		if (field === 'event') event = v;
		else if (field === 'data') data.push(v);
	}
	if (!data.length) return null;
	try {
		return { event, data: JSON.parse(data.join('\n')) };
	} catch {
		return null;
	}
}

// Uploads one file as multipart/form-data (XMLHttpRequest, for its upload
// progress). onProgress(fraction) while sending; resolves to the 202 body
// ({job, files}); rejects with ApiError. A 401 asks for the token and retries.
export function upload(file, collection, onProgress) {
	const attempt = () => new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open('POST', '/api/documents' + qs({ collection }));
		const t = getToken();
		if (t) xhr.setRequestHeader('Authorization', 'Bearer ' + t);
		xhr.responseType = 'json';
		xhr.upload.addEventListener('progress', (e) => {
			if (e.lengthComputable) onProgress(e.loaded / e.total);
		});
		xhr.addEventListener('load', () => {
			const body = xhr.response;
			if (xhr.status >= 200 && xhr.status < 300) resolve(body);
			else reject(new ApiError(xhr.status, body?.error?.code,
				body?.error?.message || xhr.statusText,
				xhr.getResponseHeader('Retry-After')));
		});
		xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'The upload failed: the server did not answer.')));
		const form = new FormData();
		form.append('file', file, file.name);
		xhr.send(form);
	});
	return (async () => {
		for (;;) {
			try {
				return await attempt();
			} catch (e) {
				if (e.status !== 401) throw e;
				if (!(await askToken(getToken() ? 'The token was not accepted.' : ''))) throw e;
			}
		}
	})();
}
