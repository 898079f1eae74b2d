// mcp_client.mjs - `docent mcp` driven by the official MCP TypeScript SDK
// client (web/node_modules/@modelcontextprotocol/sdk): the SDK spawns the
// server over stdio, negotiates the protocol, lists the tools, and checks
// every structured result against the tool's outputSchema itself.
//
//   node mcp_client.mjs DOCENT_BIN [basic|generated|cancel]
//
// DOCENT_HOME (and DOCENT_CONFIG, the models' settings) come from the
// environment: the shell test fills that data directory first. The
// server's stderr passes through, so that the caller sees any sanitizer
// report. Prints "mcp client: ok" when every check passed; exits 1 on the
// first failure.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// the SDK is installed with the web page's packages, in web/node_modules
const webDir = fileURLToPath(new URL('../../web/', import.meta.url));
const require = createRequire(webDir + 'package.json');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { LATEST_PROTOCOL_VERSION } = require('@modelcontextprotocol/sdk/types.js');

const [bin, what = 'basic'] = process.argv.slice(2);
assert.ok(bin, 'usage: mcp_client.mjs DOCENT_BIN [basic|generated|cancel]');

const transport = new StdioClientTransport({
	command: bin,
	args: ['mcp'],
	env: { ...process.env },   // the SDK passes only a few variables otherwise
	stderr: 'inherit',
});
const client = new Client({ name: 'docent-test', version: '1.0.0' });

function text(result) {
	assert.equal(result.content[0].type, 'text');
	return result.content[0].text;
}

async function basic() {
	assert.equal(client.getServerVersion().name, 'docent');
	assert.ok(client.getServerCapabilities().tools, 'the server has tools');
	await client.ping();

	const { tools } = await client.listTools();
	const names = tools.map((t) => t.name).sort();
	assert.deepEqual(names, ['ask', 'read_document', 'search']);
	for (const t of tools) {
		assert.equal(t.inputSchema.type, 'object', t.name);
		assert.ok(t.outputSchema, `${t.name} has an output schema`);
		assert.ok(t.description.length > 40, `${t.name} is described`);
	}

	// search: ranked passages that name their source paths
	const s = await client.callTool({ name: 'search', arguments: { query: 'parental leave', k: 3 } });
	assert.ok(!s.isError, text(s));
	const hits = s.structuredContent.hits;
	assert.ok(hits.length >= 1 && hits.length <= 3, JSON.stringify(hits));
	assert.match(hits[0].path, /leave\.md$/);
	assert.match(hits[0].heading, /Parental leave/);
	assert.ok(hits[0].end_byte > hits[0].start_byte);
	assert.ok(text(s).includes(hits[0].path), 'the text names the path');

	// ask: extractive (no model is set), cited, with its sources
	const a = await client.callTool({ name: 'ask',
		arguments: { question: 'how many days of parental leave do employees get?' } });
	assert.ok(!a.isError, text(a));
	assert.equal(a.structuredContent.mode, 'extractive');
	assert.match(a.structuredContent.answer, /45 working days/);
	assert.match(a.structuredContent.answer, /\[1\]/);
	const src = a.structuredContent.sources[0];
	assert.match(src.path, /leave\.md$/);
	assert.ok(text(a).includes(src.path), 'the answer names its source');
	assert.match(text(a), /Sources:/);

	// the weak-evidence answer
	const n = await client.callTool({ name: 'ask',
		arguments: { question: 'who won the chess tournament in Reykjavik last winter?' } });
	assert.equal(n.structuredContent.mode, 'no_evidence');
	assert.match(text(n), /do not answer/);

	// read_document: the cited passage in its place
	const r = await client.callTool({ name: 'read_document', arguments: {
		document: src.document_id, start: src.start_byte, end: src.end_byte, context: 200 } });
	assert.ok(!r.isError, text(r));
	assert.equal(r.structuredContent.path, src.path);
	assert.ok(r.structuredContent.start_byte <= src.start_byte);
	assert.ok(r.structuredContent.end_byte >= src.end_byte);
	assert.match(r.structuredContent.text, /45 working days/);
	assert.ok(text(r).startsWith(src.path), 'the text names the path');
	// ... and by path, from the start
	const r2 = await client.callTool({ name: 'read_document', arguments: { document: src.path } });
	assert.equal(r2.structuredContent.start_byte, 0);
	assert.equal(r2.structuredContent.document_id, src.document_id);

	// tool errors are results a person can act on
	const e = await client.callTool({ name: 'search',
		arguments: { query: 'leave', collection: 'nope' } });
	assert.equal(e.isError, true);
	assert.match(text(e), /nope/);
	const e2 = await client.callTool({ name: 'read_document', arguments: { document: 99999 } });
	assert.equal(e2.isError, true);
	assert.match(text(e2), /no document 99999/);
	// an unknown tool is a protocol error
	await assert.rejects(client.callTool({ name: 'delete_everything', arguments: {} }),
		(err) => err.code === -32602);
	assert.equal(LATEST_PROTOCOL_VERSION, '2025-11-25');
}

// with a language model (the tiny random-weight one): a written answer
async function generated() {
	const progress = [];
	const a = await client.callTool({ name: 'ask',
		arguments: { question: 'how many days of parental leave do employees get?' } },
		undefined, { onprogress: (p) => progress.push(p) });
	assert.ok(!a.isError, text(a));
	// progress notifications: the search first, then the answer's tokens
	assert.ok(progress.length >= 1, 'no progress notification');
	assert.ok(progress[0].message.includes('searching'), progress[0].message);
	for (let i = 1; i < progress.length; i++)
		assert.ok(progress[i].progress > progress[i - 1].progress, 'progress must grow');
	assert.equal(a.structuredContent.mode, 'generated');
	assert.ok(a.structuredContent.model, 'the model is named');
	assert.ok(a.structuredContent.sources.length >= 1);
	assert.ok(text(a).includes(a.structuredContent.sources[0].path));
	// hybrid search through the collection's embedding model
	const s = await client.callTool({ name: 'search', arguments: { query: 'parental leave' } });
	assert.equal(s.structuredContent.mode, 'hybrid');
}

// cancelling: the SDK sends notifications/cancelled when its signal aborts;
// the server stops the model and stays usable
async function cancel() {
	const ac = new AbortController();
	const t0 = Date.now();
	const pending = client.callTool({ name: 'ask',
		arguments: { question: 'how many days of parental leave do employees get?' } },
		undefined, { signal: ac.signal, timeout: 60000 });
	setTimeout(() => ac.abort('stop'), 300);
	await assert.rejects(pending);
	await client.ping();
	// the next call is served at once, not after the cancelled answer's end
	const s = await client.callTool({ name: 'search', arguments: { query: 'laptop' } });
	assert.ok(!s.isError);
	const ms = Date.now() - t0;
	assert.ok(ms < 20000, `the server was busy ${ms} ms after the cancel`);
}

try {
	await client.connect(transport);
	if (what === 'basic')
		await basic();
	else if (what === 'generated')
		await generated();
	else if (what === 'cancel')
		await cancel();
	else
		throw new Error(`unknown check ${what}`);
	await client.close();
	console.log('mcp client: ok');
} catch (err) {
	console.error('mcp client: FAILED:', err);
	await client.close().catch(() => {});
	process.exit(1);
}
