// markdown.js - an answer's Markdown made into a DOM fragment: marked
// renders it, DOMPurify sanitises the result, and citation markers "[n]"
// become buttons. Raw HTML inside the Markdown is shown as text, not
// interpreted: answers quote documents, and a document's "<script>" or
// "<img onerror=...>" must read as what it is. DOMPurify stays as the second
// wall (links to javascript: and any attribute outside the list go).

import { Marked } from 'marked';
import DOMPurify from 'dompurify';

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) =>
	({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const md = new Marked({
	gfm: true,
	breaks: false,
	renderer: {
		html({ text }) { return escapeHtml(text); },
		// images become their alt text: an answer never loads anything
		image({ text }) { return escapeHtml(text || ''); },
	},
});

const PURIFY = {
	ALLOWED_TAGS: ['p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li',
		'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr'],
	ALLOWED_ATTR: ['href', 'title', 'start', 'align'],
	ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
	RETURN_DOM_FRAGMENT: true,
};

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
	if (node.tagName === 'A') {
		node.setAttribute('rel', 'noopener noreferrer');
		node.setAttribute('target', '_blank');
	}
});

// Markdown -> a sanitised DocumentFragment. onCite(n, button) is called when a
// citation marker is clicked; known(n) says whether marker n names a source
// (unknown numbers stay plain text).
export function renderAnswer(markdown, onCite, known = () => true) {
	const html = md.parse(markdown || '', { async: false });
	const frag = DOMPurify.sanitize(html, PURIFY);
	linkCitations(frag, onCite, known);
	return frag;
}

// "[1]" and "[1, 3]" in text (not inside code or links) -> buttons.
function linkCitations(root, onCite, known) {
	const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
		acceptNode(n) {
			for (let p = n.parentNode; p && p !== root; p = p.parentNode)
				if (p.nodeName === 'CODE' || p.nodeName === 'PRE' || p.nodeName === 'A')
					return NodeFilter.FILTER_REJECT;
			return /\[\d+(?:\s*,\s*\d+)*\]/.test(n.data) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
		},
	});
	const nodes = [];
	while (walker.nextNode()) nodes.push(walker.currentNode);
	for (const node of nodes) {
		const parts = node.data.split(/(\[\d+(?:\s*,\s*\d+)*\])/);
		const out = document.createDocumentFragment();
		for (const part of parts) {
			const m = /^\[(\d+(?:\s*,\s*\d+)*)\]$/.exec(part);
			if (!m) { if (part) out.appendChild(document.createTextNode(part)); continue; }
			const nums = m[1].split(',').map((x) => parseInt(x, 10));
			if (!nums.every(known)) { out.appendChild(document.createTextNode(part)); continue; }
			const sup = document.createElement('sup');
			sup.className = 'cites';
			for (const n of nums) {
				const b = document.createElement('button');
				b.type = 'button';
				b.className = 'cite';
				b.textContent = `[${n}]`;
				b.dataset.n = String(n);
				b.setAttribute('aria-label', `Source ${n}: open the passage`);
				b.addEventListener('click', () => onCite(n, b));
				sup.appendChild(b);
			}
			out.appendChild(sup);
		}
		node.replaceWith(out);
	}
}
