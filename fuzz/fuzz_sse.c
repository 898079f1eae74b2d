/*
 * fuzz_sse.c - the model clients' streamed replies (engine/gen_http.c over
 * engine/http.c's line splitter): server-sent events from an
 * OpenAI-compatible server, JSON lines from Ollama, and the plain JSON
 * replies of servers that ignore "stream". The first byte chooses the
 * dialect, chat or raw prompt, a token limit and the size of the pieces the
 * body arrives in (a line or a UTF-8 character may be split anywhere).
 * Checks that the text handed on never ends inside a UTF-8 character and
 * that a success means the reply was complete.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "engine/engine_int.h"

typedef struct seen {
	size_t bytes;
	int stop_after; /* stop the stream after this many pieces (0: never) */
	int pieces;
} seen;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	seen *s = ctx;

	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(text_utf8_whole(piece, n) == n);
	s->bytes += n;
	s->pieces++;
	return s->stop_after && s->pieces >= s->stop_after;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[] = { 0, 1, 2, 3, 7, 64 };
	gen_result res;
	seen s = {0};

	if (size < 1)
		return 0;
	unsigned k = data[0];
	model_backend kind = k & 1 ? MODEL_OLLAMA : MODEL_OPENAI;
	int chat = (k >> 1) & 1;
	int max_tokens = (k >> 2) & 1 ? 3 : 0;
	s.stop_after = (k >> 3) & 1 ? 2 : 0;
	size_t piece = pieces[(k >> 4) % 6];

	int rc = gen_http_parse(kind, chat, max_tokens, (const char *)data + 1, size - 1, piece,
				on_piece, &s, &res);
	if (rc == 0)
		FUZZ_CHECK(res.stopped_by == GEN_STOP_END || res.stopped_by == GEN_STOP_LENGTH ||
			   res.stopped_by == GEN_STOP_CANCELLED);
	else
		FUZZ_CHECK(docent_error_message()[0] != '\0');
	docent_error_clear();
	return 0;
}
