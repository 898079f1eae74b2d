// openai_client.mjs - the official `openai` npm client (web/node_modules,
// v6), a client nobody here wrote, against a running `docent serve`: it
// lists the models, gets a plain and a streamed completion with citations,
// a follow-up with history, and an unknown model's error.
//
//   node tests/web/openai_client.mjs BASE_URL EXPECTED_TEXT [TOKEN]
//
// Prints "openai client: ok" and exits 0, or prints what failed and exits 1.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import assert from 'node:assert/strict';

const [, , base, expected, token] = process.argv;
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'web', 'package.json'));
const mod = await import(pathToFileURL(require.resolve('openai')).href);
const OpenAI = mod.OpenAI ?? mod.default?.OpenAI ?? mod.default;

const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: token || 'no-token', maxRetries: 0 });
const question = 'how many days of parental leave do employees get?';

try {
	const ids = [];
	for await (const m of client.models.list())
		ids.push(m.id);
	assert.ok(ids.includes('docent'), `models: ${ids}`);
	assert.ok(ids.includes('docent:default'), `models: ${ids}`);

	const plain = await client.chat.completions.create({
		model: 'docent',
		messages: [{ role: 'user', content: question }],
	});
	const text = plain.choices[0].message.content;
	assert.ok(text.includes(expected), `plain answer: ${text}`);
	assert.match(text, /\[1\]/, 'the citation is inline');
	assert.equal(plain.choices[0].finish_reason, 'stop');
	assert.ok(plain.citations.length >= 1, 'a citations field');
	assert.equal(plain.citations[0].n, 1);
	assert.ok(plain.citations[0].document_id > 0, 'citations name their document');
	assert.ok(plain.citations[0].path.endsWith('leave.md'), plain.citations[0].path);

	const stream = await client.chat.completions.create({
		model: 'docent:default',
		messages: [{ role: 'user', content: question }],
		stream: true,
	});
	let streamed = '', cites = null, chunks = 0;
	for await (const chunk of stream) {
		chunks++;
		streamed += chunk.choices[0]?.delta?.content ?? '';
		if (chunk.citations)
			cites = chunk.citations;
	}
	assert.ok(chunks >= 3, `chunks: ${chunks}`);
	assert.equal(streamed, text, 'the stream says what the plain answer says');
	assert.ok(cites && cites.length >= 1 && cites[0].document_id > 0, 'citations in the last chunk');

	const follow = await client.chat.completions.create({
		model: 'docent',
		messages: [
			{ role: 'system', content: 'You are terse.' },
			{ role: 'user', content: question },
			{ role: 'assistant', content: text },
			{ role: 'user', content: [{ type: 'text', text: 'and in how many parts?' }] },
		],
	});
	assert.ok(follow.choices[0].message.content.length > 0, 'a follow-up is answered');

	await assert.rejects(
		client.chat.completions.create({ model: 'docent:nope', messages: [{ role: 'user', content: question }] }),
		(e) => e.status === 404 && /does not exist/.test(e.message),
	);
	console.log('openai client: ok');
} catch (e) {
	console.log(`openai client: ${e.stack || e}`);
	process.exit(1);
}
