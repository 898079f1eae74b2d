// browser.mjs - the page driven by a real browser: Debian's chromium,
// headless, through playwright-core (never a downloaded browser). Run by
// test_browser.sh against `docent serve` on 127.0.0.1; prints one
// "[       OK ]" or "[  FAILED  ]" line per check (the harness counts them).
//
//   node browser.mjs main|extractive|token
//
// Environment: DOCENT_URL (the server), WORK (a scratch folder for the
// fixture files), REPLY (the scripted model's reply file, main phase),
// TOKEN (the server's token, token phase), SHOTS (where screenshots go),
// CHROMIUM (the browser, /usr/bin/chromium), DOCENT_SRC_DIR (for
// web/node_modules).

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const SRC = process.env.DOCENT_SRC_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { chromium } = createRequire(path.join(SRC, 'web/package.json'))('playwright-core');
const BASE = process.env.DOCENT_URL;
const WORK = process.env.WORK;
const REPLY = process.env.REPLY;
const SHOTS = process.env.SHOTS || path.join(SRC, 'build/screenshots');
const phase = process.argv[2] || 'main';
const T = 30000; // the longest wait for one thing (an ASan build is slow)

let passed = 0, failed = 0;
let mainPage = null; // the page a failure's screenshot shows
async function check(name, fn) {
	try {
		await fn();
		passed++;
		console.log(`[       OK ] ${name}`);
	} catch (e) {
		failed++;
		console.log(`[  FAILED  ] ${name}`);
		// what the page looked like when it failed
		await mainPage?.screenshot({ path: path.join(SHOTS, `failed-${failed}.png`), fullPage: true }).catch(() => {});
		console.log(String(e && e.stack || e).split('\n').slice(0, 8).map((l) => '    | ' + l).join('\n'));
	}
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

// ---- the fixtures: an ordinary document and three malicious ones ----
// Every payload would set window.__pwned or open a dialog if it ever ran.
const FILES = {
	'handbook.md': `# Staff handbook

## Parental leave

Employees get 45 working days of parental leave at full pay. The leave can
be taken in two parts within the child's first year.

## Travel

Hotels are booked through the travel desk. Meals are paid up to 40 euros a day.
`,
	'evil.html': `<!doctype html><html><head><title>Evil &lt;img src=x onerror="window.__pwned='title';alert(1)"&gt; page</title>
<script>window.__pwned='html-script'</script></head>
<body><h1>Pwned payload notes</h1>
<p>The pwned payload is &lt;script&gt;window.__pwned='html-escaped-script';alert(2)&lt;/script&gt; written as text.</p>
<p>The pwned payload image is &lt;img src=x onerror="window.__pwned='html-escaped-img';alert(3)"&gt; written as text.</p>
<p>The pwned payload link is <a href="javascript:window.__pwned='html-link'">a javascript link</a>.</p>
</body></html>
`,
	'evil.md': `# Pwned payload in Markdown

The pwned payload script is <script>window.__pwned='md-script';alert(4)</script> inline.

The pwned payload image is <img src=x onerror="window.__pwned='md-img';alert(5)"> here, and [a pwned payload link](javascript:window.__pwned='md-link').

<svg onload="window.__pwned='md-svg'"></svg>
`,
	'evil.txt': `<img src=x onerror="window.__pwned='txt-title';alert(6)"> pwned payload
The pwned payload text is <script>window.__pwned='txt-script';alert(7)</script> in plain text.
`,
	'<img src=x onerror=alert(8)>.txt': 'The pwned payload file name holds markup.\n',
};

function writeFixtures() {
	const dir = path.join(WORK, 'upload');
	fs.mkdirSync(dir, { recursive: true });
	return Object.entries(FILES).map(([name, text]) => {
		const p = path.join(dir, name);
		fs.writeFileSync(p, text);
		return p;
	});
}

function reply(text, { delay, rewrite } = {}) {
	fs.writeFileSync(REPLY, text);
	if (delay != null) fs.writeFileSync(REPLY + '.delay', String(delay));
	else fs.rmSync(REPLY + '.delay', { force: true });
	if (rewrite) fs.writeFileSync(REPLY + '.rewrite', rewrite);
	else fs.rmSync(REPLY + '.rewrite', { force: true });
}

// ---- what every page records: console errors, script errors, dialogs, CSP ----
const problems = [];
const dialogs = [];
async function newPage(context) {
	const page = await context.newPage();
	mainPage ||= page;
	page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	await page.addInitScript(() => {
		window.__csp = [];
		document.addEventListener('securitypolicyviolation', (e) =>
			window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
	});
	return page;
}

async function open(page, hash = '') {
	const res = await page.goto(BASE + '/' + hash);
	await page.waitForSelector('body[data-ready="1"]', { timeout: T });
	return res;
}

// the whole page, or only what the window shows (a dialog, the ask box that
// stays at the bottom of the window)
async function shot(page, name, fullPage = true) {
	fs.mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

// nothing from a document or an answer ever ran
async function nothingRan(page) {
	const r = await page.evaluate(() => ({
		pwned: window.__pwned,
		csp: window.__csp,
		scripts: document.scripts.length,
		imgs: document.images.length,
		svgs: document.querySelectorAll('svg').length,
		jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href'))).length,
		onAttrs: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName} ${a.name}`)),
	}));
	assert(r.pwned === undefined, `a payload ran: window.__pwned = ${r.pwned}`);
	assert(dialogs.length === 0, `a dialog opened: ${dialogs.join(' | ')}`);
	assert(r.scripts === 1, `${r.scripts} script elements (the page has 1)`);
	assert(r.imgs === 0, `${r.imgs} img elements in the page`);
	assert(r.svgs === 0, `${r.svgs} svg elements in the page`);
	assert(r.jsLinks === 0, `${r.jsLinks} javascript: links`);
	assert(r.onAttrs.length === 0, `event handler attributes: ${r.onAttrs.join(', ')}`);
	assert(r.csp.length === 0, `CSP violations: ${r.csp.join(', ')}`);
}

const lastTurn = '#thread .turn:last-child';

// asks in the ask view and waits for the finished answer (its mode badge)
async function ask(page, question) {
	await page.fill('#question', question);
	await page.press('#question', 'Enter');
	await page.waitForSelector(`${lastTurn} .badge, ${lastTurn} .error`, { timeout: T });
	const err = await page.$(`${lastTurn} .error`);
	if (err) throw new Error(`the answer failed: ${await err.textContent()}`);
}

// opens the source viewer with `button`, reads the highlighted passage and
// closes it with Escape (unless keepOpen), then checks it holds `expect`
async function viewSource(page, button, expect, keepOpen) {
	await button.click();
	await page.waitForSelector('#viewer[open] #viewer-mark, #viewer[open] .error', { timeout: T });
	const err = await page.$('#viewer .error');
	const mark = err ? null : await page.textContent('#viewer-mark');
	if (err || !keepOpen) await closeViewer(page);
	if (err) throw new Error(`the viewer failed: ${await err.textContent()}`);
	if (expect) assert(expect.test(mark), `the highlighted passage lacks ${expect}: ${mark}`);
	return mark;
}

async function closeViewer(page) {
	await page.keyboard.press('Escape');
	await page.waitForSelector('#viewer:not([open])', { state: 'attached', timeout: T });
}

function luminance(rgb) {
	const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).map(Number);
	return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

// ---- the main phase: a server with the scripted model ----
async function mainPhase(browser) {
	const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
	const page = await newPage(context);
	const Q = 'how many days of parental leave do employees get?';

	await check('the page loads, with a Content-Security-Policy, no console errors', async () => {
		const res = await open(page);
		const csp = res.headers()['content-security-policy'] || '';
		assert(/script-src 'self'/.test(csp), `CSP header: "${csp}"`);
		assert(/docent/.test(await page.textContent('#version')), 'no version shown');
		assert(problems.length === 0, problems.join('\n'));
		await nothingRan(page);
		await shot(page, 'ask-empty');
	});

	const paths = writeFixtures();
	await check('upload through the file input: per-file progress until each ingest is done', async () => {
		await page.click('nav a[href="#library"]');
		await page.setInputFiles('#file-input', paths);
		await page.waitForFunction((n) => {
			const rows = document.querySelectorAll('#uploads li');
			return rows.length === n && [...rows].every((r) => r.classList.contains('done') || r.classList.contains('failed'));
		}, paths.length, { timeout: T * 2 });
		const rows = await page.$$eval('#uploads li', (rs) => rs.map((r) => ({
			text: r.textContent, ok: r.classList.contains('done'), value: r.querySelector('progress').value })));
		for (const r of rows) {
			assert(r.ok, `an upload failed: ${r.text}`);
			assert(r.value === 1, `progress ${r.value} at the end: ${r.text}`);
		}
	});

	await check('the library lists the documents', async () => {
		await page.waitForFunction((n) => document.querySelectorAll('#documents li').length >= n,
			paths.length, { timeout: T });
		const text = await page.textContent('#documents');
		assert(text.includes('Staff handbook'), 'no Staff handbook in the library');
		assert(text.includes('evil.txt'), 'no evil.txt in the library');
		assert(/5 documents/.test(await page.textContent('#doc-summary')), await page.textContent('#doc-summary'));
		await shot(page, 'library');
	});

	await check('ask: the answer streams in, rendered as Markdown, with its mode and sources', async () => {
		reply('Employees get **45 working days** of parental leave at full pay [1].', { delay: 0.04 });
		await page.click('nav a[href="#ask"]');
		await page.evaluate(() => {
			window.__lens = [];
			new MutationObserver(() => {
				const md = document.querySelector('#thread .turn:last-child .md');
				if (md && !document.querySelector('#thread .turn:last-child .badge')) window.__lens.push(md.textContent.length);
			}).observe(document.getElementById('thread'), { subtree: true, childList: true, characterData: true });
		});
		await ask(page, Q);
		const lens = await page.evaluate(() => [...new Set(window.__lens)].filter((n) => n > 0));
		assert(lens.length >= 3, `the answer did not stream (lengths seen: ${lens.join(',')})`);
		const md = await page.textContent(`${lastTurn} .md`);
		assert(md.includes('45 working days'), `answer: ${md}`);
		assert(await page.$(`${lastTurn} .md strong`), 'the Markdown was not rendered');
		assert(/Generated/.test(await page.textContent(`${lastTurn} .badge`)), 'mode not shown');
		const src = await page.textContent(`${lastTurn} .sources`);
		assert(src.includes('handbook.md') || src.includes('Staff handbook'), `sources: ${src}`);
		assert(await page.getAttribute('#thread', 'aria-live') === 'polite', 'the answer is not a live region');
		await shot(page, 'ask-answer', false);
	});

	await check('a citation opens the passage highlighted, with its document; Escape closes it', async () => {
		const cite = await page.$(`${lastTurn} .md button.cite`);
		assert(cite, 'no citation button');
		await viewSource(page, cite, /45 working days/, true);
		const body = await page.textContent('#viewer .viewer-body');
		assert(body.includes('Staff handbook'), `no document title in the viewer: ${body}`);
		assert(body.includes('handbook.md'), 'no path in the viewer');
		const passage = await page.textContent('#viewer .passage');
		assert(!/^\s/.test(passage) && !/\n\s*\n\s*\n/.test(passage), `blank runs in the passage: ${JSON.stringify(passage)}`);
		await shot(page, 'source-viewer', false);
		await closeViewer(page);
		assert(await page.evaluate(() => document.activeElement.classList.contains('cite')), 'focus did not return to the citation');
	});

	await check('search shows results with snippets that open the passage', async () => {
		await page.click('nav a[href="#search"]');
		await page.fill('#search-q', 'parental leave');
		await page.press('#search-q', 'Enter');
		await page.waitForSelector('#search-results li', { timeout: T });
		// no embedding model here: search by meaning is offered but disabled
		assert(await page.$eval('#search-mode option[value="dense"]', (o) => o.disabled), 'dense search is not disabled');
		const snip = await page.textContent('#search-results li:first-child .snippet');
		assert(/parental/i.test(snip), `snippet: ${snip}`);
		await shot(page, 'search');
		await viewSource(page, await page.$('#search-results li:first-child button.hit-title'), /parental leave/i);
	});

	await check("a PDF's page shows in its search hits and in the viewer", async () => {
		await page.click('nav a[href="#library"]');
		await page.setInputFiles('#file-input', path.join(SRC, 'tests/fixtures/extract/report.pdf'));
		await page.waitForSelector('#uploads li:has-text("report.pdf"):is(.done, .failed)', { timeout: T * 2 });
		assert(await page.$('#uploads li.done:has-text("report.pdf")'), await page.textContent('#uploads'));
		await page.click('nav a[href="#search"]');
		await page.fill('#search-q', 'pilot boats transfers');
		await page.press('#search-q', 'Enter');
		await page.waitForSelector('#search-results li:has-text("Harbour Authority")', { timeout: T });
		const hit = await page.textContent('#search-results li:has-text("Harbour Authority")');
		assert(/page 1/.test(hit), `no page in the hit: ${hit}`);
		await viewSource(page, await page.$('#search-results li:has-text("Harbour Authority") button.hit-title'), /pilot/, true);
		const meta = await page.textContent('#viewer .source-meta');
		assert(/page 1/.test(meta) && /report\.pdf/.test(meta), `viewer: ${meta}`);
		await closeViewer(page);
	});

	await check('a malicious answer from the model is shown, and nothing in it runs', async () => {
		reply('The pwned payload [1]: <script>window.__pwned="answer-script";alert(9)</script> ' +
			'<img src=x onerror="window.__pwned=\'answer-img\';alert(10)"> ' +
			'[a link](javascript:window.__pwned="answer-link") ![pic](x.png) **done**.');
		await page.click('nav a[href="#ask"]');
		await page.click('#new-conversation');
		await ask(page, 'what is the pwned payload?');
		const md = await page.textContent(`${lastTurn} .md`);
		assert(md.includes('<script>'), `the markup is not shown as text: ${md}`);
		for (const a of await page.$$(`${lastTurn} .md a`)) await a.click({ modifiers: [] }).catch(() => {});
		await nothingRan(page);
	});

	await check('malicious documents in sources and the viewer stay text', async () => {
		const buttons = await page.$$(`${lastTurn} .sources button, ${lastTurn} .md button.cite`);
		assert(buttons.length > 0, 'no sources for the payload question');
		for (const b of buttons) {
			await viewSource(page, b);
		}
		await nothingRan(page);
	});

	await check('malicious documents in search snippets and the library stay text', async () => {
		await page.click('nav a[href="#search"]');
		await page.fill('#search-q', 'pwned payload');
		await page.press('#search-q', 'Enter');
		await page.waitForFunction(() => document.querySelectorAll('#search-results li').length >= 3, null, { timeout: T });
		const text = await page.textContent('#search-results');
		assert(text.includes('<script>') || text.includes('onerror'), `no payload shown as text: ${text}`);
		for (const b of await page.$$('#search-results button.hit-title')) {
			await viewSource(page, b);
		}
		await shot(page, 'search-malicious');
		await page.click('nav a[href="#library"]');
		const lib = await page.textContent('#documents');
		assert(lib.includes('<img src=x onerror=alert(8)>.txt'), 'the markup file name is not shown as text');
		await nothingRan(page);
	});

	await check('the conversation list: open one, continue it, delete it', async () => {
		await page.click('nav a[href="#conversations"]');
		await page.waitForFunction(() => document.querySelectorAll('#conversations li').length >= 2, null, { timeout: T });
		await shot(page, 'conversations');
		const n = (await page.$$('#conversations li')).length;
		const item = await page.$(`#conversations li:has-text("parental leave") button.conv-title`);
		assert(item, 'the first conversation is not listed by its question');
		await item.click();
		await page.waitForSelector('#view-ask:not([hidden]) .turn', { timeout: T });
		assert((await page.textContent('#thread')).includes('parental leave'), 'the conversation did not open');
		// its stored citations open their passages too
		await viewSource(page, await page.$('#thread .turn:first-child .md button.cite'), /45 working days/);
		const turns = (await page.$$('#thread .turn')).length;
		reply('They can be taken in two parts [1].', { rewrite: 'parental leave in two parts' });
		await ask(page, 'can it be split?');
		assert((await page.$$('#thread .turn')).length === turns + 1, 'the follow-up did not join the conversation');
		await page.click('nav a[href="#conversations"]');
		await page.waitForFunction(() => document.querySelector('#conversations li:has(.conv-title)') &&
			/2 turns/.test(document.querySelector('#conversations').textContent), null, { timeout: T });
		const del = await page.$('#conversations li:has-text("pwned") button.danger');
		await del.click();
		await del.click();
		await page.waitForFunction((k) => document.querySelectorAll('#conversations li').length === k - 1, n, { timeout: T });
	});

	await check('remove a document (pressed twice)', async () => {
		await page.click('nav a[href="#library"]');
		const before = (await page.$$('#documents li')).length;
		const rm = await page.$('#documents li:has-text("evil.html") button.danger');
		await rm.click();
		await rm.click();
		await page.waitForFunction((k) => document.querySelectorAll('#documents li').length === k - 1, before, { timeout: T });
		assert(!(await page.textContent('#documents')).includes('evil.html'), 'still listed');
	});

	await check('collections: create one and switch to it (an empty library)', async () => {
		await page.click('#new-collection');
		await page.fill('#new-collection-name', 'notes');
		await page.press('#new-collection-name', 'Enter');
		await page.waitForFunction(() => document.getElementById('collection').value === 'notes', null, { timeout: T });
		await page.waitForFunction(() => /No documents/.test(document.getElementById('doc-summary').textContent), null, { timeout: T });
		await page.selectOption('#collection', 'default');
		await page.waitForFunction(() => document.querySelectorAll('#documents li').length >= 4, null, { timeout: T });
	});

	await check('collections: remove one (pressed twice); the library shows another', async () => {
		await page.selectOption('#collection', 'notes');
		await page.click('#remove-collection');
		assert((await page.textContent('#remove-collection')).includes('again'), 'not armed');
		await page.click('#remove-collection');
		await page.waitForFunction(() => ![...document.querySelectorAll('#collection option')].some((o) => o.value === 'notes'), null, { timeout: T });
		assert((await page.textContent('#collection-status')).includes('removed'), 'no message');
		const r = await page.evaluate(async () => (await fetch('/api/collections')).json());
		assert(!r.collections.some((c) => c.name === 'notes'), 'still on the server');
		assert(await page.$eval('#collection', (s) => s.value) === 'default', 'not back on default');
	});

	await check('drag and drop: dropped files upload; a file that cannot be read shows its error', async () => {
		await page.click('nav a[href="#library"]');
		const before = await page.$$eval('#uploads li', (l) => l.length);
		const dt = await page.evaluateHandle(() => {
			const d = new DataTransfer();
			d.items.add(new File(['Dropped notes about the canteen menu.\n'], 'dropped.txt', { type: 'text/plain' }));
			d.items.add(new File(['%PDF-1.4 this is not really a PDF'], 'broken.pdf', { type: 'application/pdf' }));
			return d;
		});
		await page.dispatchEvent('#dropzone', 'dragenter', { dataTransfer: dt });
		assert(await page.$('#dropzone.over'), 'the drop zone does not light up');
		await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: dt });
		await page.waitForFunction((n) => {
			const rows = [...document.querySelectorAll('#uploads li')].slice(0, 2);
			return document.querySelectorAll('#uploads li').length === n + 2 &&
				rows.every((r) => r.classList.contains('done') || r.classList.contains('failed'));
		}, before, { timeout: T * 2 });
		const rows = await page.$$eval('#uploads li', (l) => l.slice(0, 2).map((r) => ({ text: r.textContent, failed: r.classList.contains('failed') })));
		const ok = rows.find((r) => r.text.includes('dropped.txt'));
		const bad = rows.find((r) => r.text.includes('broken.pdf'));
		assert(ok && !ok.failed, `dropped.txt: ${ok?.text}`);
		assert(bad && bad.failed && /Failed: ./.test(bad.text), `broken.pdf shows no error: ${bad?.text}`);
		assert(!(await page.$('#dropzone.over')), 'the drop zone stays lit');
		await page.waitForFunction(() => /dropped\.txt/.test(document.getElementById('documents').textContent), null, { timeout: T });
		await shot(page, 'library-uploads');
		// a file dropped on another view is uploaded too, and the library comes forward
		await page.click('nav a[href="#ask"]');
		const dt2 = await page.evaluateHandle(() => {
			const d = new DataTransfer();
			d.items.add(new File(['Dropped on the ask view.\n'], 'elsewhere.txt', { type: 'text/plain' }));
			return d;
		});
		await page.dispatchEvent('#thread', 'drop', { dataTransfer: dt2 });
		await page.waitForSelector('#view-library:not([hidden])', { timeout: T });
		await page.waitForSelector('#uploads li.done:has-text("elsewhere.txt")', { timeout: T });
	});

	await check('Stop ends an answer while it streams; the next question is answered', async () => {
		reply('This answer comes very slowly, one small piece at a time [1].', { delay: 0.25 });
		await page.click('nav a[href="#ask"]');
		await page.click('#new-conversation');
		await page.fill('#question', 'how many days of parental leave?');
		await page.press('#question', 'Enter');
		await page.waitForFunction(() => document.querySelector('#thread .turn:last-child .md')?.textContent.length > 0,
			null, { timeout: T });
		await page.click('#stop');
		await page.waitForFunction(() => /Stopped/.test(document.querySelector('#thread .turn:last-child .status').textContent),
			null, { timeout: T });
		assert(await page.isHidden('#stop'), 'Stop is still shown');
		assert(await page.isEnabled('#ask'), 'Ask is still disabled');
		reply('Employees get 45 working days [1].');
		await ask(page, 'how many days of parental leave do employees get?');
		assert((await page.textContent(`${lastTurn} .md`)).includes('45 working days'), 'no answer after Stop');
	});

	await check('summarize a document from the library, and a topic from search: the summary streams into the ask view', async () => {
		reply('The handbook grants **45 working days** of parental leave and covers travel.', { delay: 0.01 });
		await page.click('nav a[href="#library"]');
		await page.click('#documents li:has-text("Staff handbook") button:has-text("Summarize")');
		await page.waitForSelector('#view-ask:not([hidden])', { timeout: T });
		await page.waitForSelector(`${lastTurn} .badge, ${lastTurn} .error`, { timeout: T });
		const err = await page.$(`${lastTurn} .error`);
		assert(!err, `the summary failed: ${err && await err.textContent()}`);
		assert(/Summary of .Staff handbook/.test(await page.textContent(`${lastTurn} .question`)), 'no summary turn');
		assert(/Summary/.test(await page.textContent(`${lastTurn} .badge`)), 'the summary is not labelled');
		assert((await page.textContent(`${lastTurn} .md`)).includes('45 working days'), 'no summary text');
		await shot(page, 'summary', false);
		// a topic: what the search results say
		reply('Leave is **45 working days**, taken in two parts.');
		await page.click('nav a[href="#search"]');
		await page.fill('#search-q', 'parental leave');
		await page.press('#search-q', 'Enter');
		await page.waitForSelector('#search-summarize:not([hidden])', { timeout: T });
		await page.click('#search-summarize');
		await page.waitForSelector('#view-ask:not([hidden])', { timeout: T });
		await page.waitForFunction(() => /Summary: parental leave/.test(document.querySelector('#thread .turn:last-child .question').textContent), null, { timeout: T });
		await page.waitForSelector(`${lastTurn} .badge, ${lastTurn} .error`, { timeout: T });
		assert(!(await page.$(`${lastTurn} .error`)), await page.textContent(`${lastTurn}`));
		assert((await page.textContent(`${lastTurn} .md`)).includes('45 working days'), 'no topic summary');
	});

	await check('keyboard only: Tab to the question, Enter asks, a citation opens with Enter, Escape closes; the file picker', async () => {
		reply('Employees get 45 working days [1].');
		const kp = await newPage(context);
		// listening from the start: the browser intercepts file choosers only
		// once told to, and telling it races a key press made right after
		let chosen;
		const chooser = new Promise((resolve) => { chosen = resolve; });
		kp.on('filechooser', (fc) => chosen(fc));
		await open(kp);
		let found = false;
		for (let i = 0; i < 40 && !found; i++) {
			await kp.keyboard.press('Tab');
			found = await kp.evaluate(() => document.activeElement?.id === 'question');
		}
		assert(found, 'Tab never reached the question box');
		const outline = await kp.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
		assert(outline !== 'none', 'the focused question box shows no outline');
		await kp.keyboard.type(Q);
		await kp.keyboard.press('Enter');
		await kp.waitForSelector(`${lastTurn} .badge`, { timeout: T });
		await kp.waitForFunction(() => document.activeElement?.id === 'question', null, { timeout: T });
		found = false;
		for (let i = 0; i < 20 && !found; i++) {
			await kp.keyboard.press('Shift+Tab');
			found = await kp.evaluate(() => document.activeElement?.classList.contains('cite'));
		}
		assert(found, 'Shift+Tab never reached a citation');
		const ring = await kp.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
		assert(ring !== 'none', 'the focused citation shows no outline');
		await kp.keyboard.press('Enter');
		await kp.waitForSelector('#viewer[open] #viewer-mark', { timeout: T });
		await closeViewer(kp);
		assert(await kp.evaluate(() => document.activeElement.classList.contains('cite')), 'focus did not return to the citation');
		// the library by keyboard: its link in the header, then the file picker
		found = false;
		for (let i = 0; i < 60 && !found; i++) {
			await kp.keyboard.press('Shift+Tab');
			found = await kp.evaluate(() => document.activeElement?.getAttribute('href') === '#library');
		}
		assert(found, 'Shift+Tab never reached the Library link');
		await kp.keyboard.press('Enter');
		await kp.waitForSelector('#view-library:not([hidden])', { timeout: T });
		assert(await kp.evaluate(() => document.activeElement?.id === 'pick-files'), 'focus is not on the file picker');
		const f = path.join(WORK, 'keyboard.txt');
		fs.writeFileSync(f, 'Chosen with the keyboard alone.\n');
		await kp.keyboard.press('Enter');
		const fc = await Promise.race([chooser, new Promise((_, no) => setTimeout(() => no(new Error('no file chooser opened')), T))]);
		await fc.setFiles(f);
		await kp.waitForSelector('#uploads li.done, #uploads li.failed', { timeout: T });
		assert(await kp.$('#uploads li.done'), await kp.textContent('#uploads'));
		// the skip link goes to the content and leaves the view as it is
		await kp.focus('a.skip');
		assert(await kp.evaluate(() => getComputedStyle(document.activeElement).outlineStyle !== 'none'), 'the skip link shows no focus');
		await kp.keyboard.press('Enter');
		await kp.waitForFunction(() => document.activeElement?.id === 'main', null, { timeout: T });
		assert(await kp.isVisible('#view-library'), 'the skip link changed the view');
		await kp.close();
	});

	await check('every control Tab reaches shows its focus and has an accessible name', async () => {
		const tp = await newPage(context);
		for (const view of ['ask', 'search', 'library', 'conversations']) {
			await open(tp, '#' + view);
			if (view === 'ask') await ask(tp, Q);
			if (view === 'library') await tp.waitForSelector('#documents li', { timeout: T });
			if (view === 'conversations') await tp.waitForSelector('#conversations li', { timeout: T });
			// from the first control of the page (the skip link) onwards
			await tp.focus('a.skip');
			const seen = new Set();
			for (let i = 0; i < 80; i++) {
				if (i) await tp.keyboard.press('Tab');
				const r = await tp.evaluate(() => {
					const el = document.activeElement;
					if (!el || el === document.body) return null;
					const cs = getComputedStyle(el);
					const label = (el.getAttribute('aria-label') || '').trim() ||
						(el.labels && [...el.labels].map((l) => l.textContent).join(' ').trim()) ||
						(el.getAttribute('aria-labelledby') ? 'labelledby' : '') ||
						(el.textContent || '').trim() || el.getAttribute('title') || '';
					const id = el.id || `${el.tagName}:${label}`;
					return { id, tag: el.tagName, label, visible: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 };
				});
				if (!r || seen.has(r.id)) break; // back at the start (or left the page)
				seen.add(r.id);
				assert(r.visible, `${view}: ${r.tag} "${r.label}" shows no focus outline`);
				assert(r.label, `${view}: a ${r.tag} (${r.id}) has no accessible name`);
			}
			assert(seen.size >= 8, `${view}: Tab reached only ${seen.size} controls`);
		}
		await tp.close();
	});

	await check('a phone (375 px): no sideways scrolling, every view fits', async () => {
		const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
		const pp = await newPage(phone);
		await open(pp);
		await ask(pp, Q);
		for (const view of ['ask', 'search', 'library', 'conversations']) {
			await pp.click(`nav a[href="#${view}"]`);
			await pp.waitForSelector(`#view-${view}:not([hidden])`);
			if (view === 'library') await pp.waitForSelector('#documents li', { timeout: T });
			const w = await pp.evaluate(() => document.documentElement.scrollWidth);
			assert(w <= 375, `${view}: the page is ${w} px wide`);
			await shot(pp, `phone-${view}`);
		}
		await pp.click('nav a[href="#ask"]');
		await viewSource(pp, await pp.$(`${lastTurn} button.cite`), null, true);
		const box = await pp.$eval('#viewer', (d) => d.getBoundingClientRect().width);
		assert(box <= 375, `the viewer is ${box} px wide`);
		await shot(pp, 'phone-viewer', false);
		await phone.close();
	});

	await check('light and dark follow the system (prefers-color-scheme)', async () => {
		const lp = await newPage(context);
		await lp.emulateMedia({ colorScheme: 'light' });
		await open(lp, '#library');
		const light = luminance(await lp.evaluate(() => getComputedStyle(document.body).backgroundColor));
		await lp.emulateMedia({ colorScheme: 'dark' });
		const dark = luminance(await lp.evaluate(() => getComputedStyle(document.body).backgroundColor));
		const text = luminance(await lp.evaluate(() => getComputedStyle(document.body).color));
		assert(light > 0.8 && dark < 0.2 && text > 0.7, `light ${light}, dark ${dark}, dark text ${text}`);
		await lp.waitForSelector('#documents li', { timeout: T });
		await shot(lp, 'library-dark');
		await lp.click('nav a[href="#ask"]');
		await ask(lp, Q);
		await shot(lp, 'ask-dark', false);
		await lp.close();
	});

	await check('no console errors, script errors, dialogs or CSP violations anywhere', async () => {
		assert(problems.length === 0, problems.join('\n'));
		await nothingRan(page);
	});
	await context.close();
}

// ---- without a language model: extractive answers quote the documents ----
async function extractivePhase(browser) {
	const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
	const page = await newPage(context);
	await check('extractive answers quoting malicious documents stay text', async () => {
		await open(page);
		await ask(page, 'what is the pwned payload script?');
		const badge = await page.textContent(`${lastTurn} .badge`);
		const md = await page.textContent(`${lastTurn} .md`);
		assert(/Extractive|No evidence/.test(badge), `mode: ${badge}`);
		assert(/pwned payload/i.test(md), `answer: ${md}`);
		for (const b of await page.$$(`${lastTurn} .md button.cite, ${lastTurn} .sources button`)) {
			await viewSource(page, b);
		}
		await shot(page, 'ask-extractive-malicious', false);
		await nothingRan(page);
		assert(problems.length === 0, problems.join('\n'));
	});
	await context.close();
}

// ---- a server with a token: the page asks for it, keeps it, sends it ----
async function tokenPhase(browser) {
	const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
	const page = await newPage(context);
	await check('a 401 asks for the token; a wrong one is refused, the right one kept', async () => {
		await page.goto(BASE + '/');
		await page.waitForSelector('#token-dialog[open]', { timeout: T });
		await shot(page, 'token', false);
		await page.fill('#token-input', 'not-the-token');
		await page.press('#token-input', 'Enter');
		await page.waitForFunction(() => document.querySelector('#token-dialog[open]') &&
			document.querySelector('#token-dialog .note').textContent !== '', null, { timeout: T });
		await page.fill('#token-input', process.env.TOKEN);
		await page.press('#token-input', 'Enter');
		await page.waitForSelector('body[data-ready="1"]', { timeout: T });
		assert(/docent/.test(await page.textContent('#version')), 'the API did not answer with the token');
		assert(await page.evaluate(() => localStorage.getItem('docent.token')) === process.env.TOKEN, 'the token was not kept');
		await page.reload();
		await page.waitForSelector('body[data-ready="1"]', { timeout: T });
		assert(!(await page.$('#token-dialog[open]')), 'asked again after a reload');
		await page.click('nav a[href="#library"]');
		await page.waitForSelector('#documents li', { timeout: T });
		// an upload (XMLHttpRequest) carries the token too
		const f = path.join(WORK, 'token-upload.txt');
		fs.writeFileSync(f, 'Uploaded with the access token.\n');
		await page.setInputFiles('#file-input', f);
		await page.waitForSelector('#uploads li.done, #uploads li.failed', { timeout: T });
		assert(await page.$('#uploads li.done'), await page.textContent('#uploads'));
		// the only console errors are the refused requests themselves
		const other = problems.filter((p) => !/status of 401/.test(p));
		assert(other.length === 0, other.join('\n'));
		await nothingRan(page);
	});
	await context.close();
}

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox'] });
try {
	if (phase === 'extractive') await extractivePhase(browser);
	else if (phase === 'token') await tokenPhase(browser);
	else await mainPhase(browser);
} finally {
	await browser.close();
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
