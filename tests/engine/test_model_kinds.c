/*
 * test_model_kinds.c - models opened for the wrong job say what to use
 * instead: an embedding model opened as a chat model (generator_open
 * refuses it and names a chat model to pull), and encoders llama.cpp has
 * no graph for (ALBERT, MobileBERT), which point to an HTTP embedding
 * server. The encoder files are written here: a GGUF header with
 * general.architecture and nothing else is all the check reads.
 */
#include "tests/testutil.h"
#include "core/error.h"
#include "engine/embedder.h"
#include "engine/generator.h"
#include "engine/model_info.h"

#define EMBED_MODEL DOCENT_SRC_DIR "/build/models/tiny-embed.gguf"
#define CHAT_MODEL DOCENT_SRC_DIR "/build/models/tiny-chat.gguf"

static void put_u32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put_u64(FILE *f, uint64_t v) { fwrite(&v, 8, 1, f); }
static void put_str(FILE *f, const char *s)
{
	put_u64(f, strlen(s));
	fwrite(s, 1, strlen(s), f);
}

/* A GGUF v3 file with no tensors and one key: general.architecture. */
static void write_arch_only(const char *path, const char *arch)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("GGUF", 1, 4, f);
	put_u32(f, 3);       /* version */
	put_u64(f, 0);       /* tensors */
	put_u64(f, 1);       /* keys */
	put_str(f, "general.architecture");
	put_u32(f, 8);       /* GGUF_TYPE_STRING */
	put_str(f, arch);
	fclose(f);
}

static void test_model_kinds__embedding_model_cannot_chat(void **state)
{
	generator_params p = generator_default_params();
	generator *g = (generator *)1;

	if (access(EMBED_MODEL, R_OK) != 0)
		fail_msg("%s is missing: run `make tiny-models` first", EMBED_MODEL);
	p.model = EMBED_MODEL;
	assert_int_equal(generator_open(&g, &p), DOCENT_EFORMAT);
	assert_null(g);
	const char *m = docent_error_message();
	assert_non_null(strstr(m, "embedding model"));
	assert_non_null(strstr(m, "bert"));
	assert_non_null(strstr(m, "docent models pull qwen2.5-0.5b-instruct"));
}

static void test_model_kinds__kinds_read_from_metadata(void **state)
{
	model_info mi;

	assert_int_equal(model_info_read(EMBED_MODEL, &mi), 0);
	assert_string_equal(model_info_kind(&mi), "embedding");
	assert_int_equal(model_info_read(CHAT_MODEL, &mi), 0);
	assert_string_equal(model_info_kind(&mi), "chat");
}

static void check_foreign(const char *arch)
{
	char dir[256], path[300];
	embedder_params p = embedder_default_params();
	embedder *e = NULL;

	snprintf(dir, sizeof dir, "%s", temp_dir());
	snprintf(path, sizeof path, "%s/%s.gguf", dir, arch);
	write_arch_only(path, arch);
	p.model = path;
	assert_int_equal(embedder_open(&e, &p), DOCENT_EUNSUPPORTED);
	assert_null(e);
	const char *m = docent_error_message();
	assert_non_null(strstr(m, arch));
	assert_non_null(strstr(m, "HTTP embedding server"));
	assert_non_null(strstr(m, "engine.embed_model = http://127.0.0.1:"));
	remove_tree(dir);
}

static void test_model_kinds__albert_points_to_a_server(void **state)
{
	check_foreign("albert");
}

static void test_model_kinds__mobilebert_points_to_a_server(void **state)
{
	check_foreign("mobilebert");
}

/* Any other architecture llama.cpp does not know is named in the message. */
static void test_model_kinds__unknown_architecture_is_named(void **state)
{
	char dir[256], path[300];
	embedder_params p = embedder_default_params();
	embedder *e = NULL;

	snprintf(dir, sizeof dir, "%s", temp_dir());
	snprintf(path, sizeof path, "%s/m.gguf", dir);
	write_arch_only(path, "wibble-net");
	p.model = path;
	assert_int_equal(embedder_open(&e, &p), DOCENT_EFORMAT);
	assert_non_null(strstr(docent_error_message(), "wibble-net"));
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_kinds__embedding_model_cannot_chat),
		cmocka_unit_test(test_model_kinds__kinds_read_from_metadata),
		cmocka_unit_test(test_model_kinds__albert_points_to_a_server),
		cmocka_unit_test(test_model_kinds__mobilebert_points_to_a_server),
		cmocka_unit_test(test_model_kinds__unknown_architecture_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
