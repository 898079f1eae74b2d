/*
 * model_info.c - GGUF metadata through llama.cpp (see model_info.h). An
 * embedding model is recognised by the pooling type its metadata declares.
 */
#include "engine/model_info.h"
#include "engine/engine_int.h"
#include "core/error.h"

#include <errno.h>
#include <gguf.h>
#include <llama.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *model_info_kind(const model_info *mi)
{
	return mi->reranking ? "reranking" : mi->embedding ? "embedding" : "chat";
}

int model_info_read(const char *path, model_info *out)
{
	struct llama_model *m = NULL;
	struct stat st;
	char key[128], val[64];
	int rc;

	memset(out, 0, sizeof *out);
	rc = llama_common_load(path, "model", &m);
	if (rc)
		return rc;
	if (stat(path, &st) == 0)
		out->file_bytes = (int64_t)st.st_size;
	if (llama_model_meta_val_str(m, "general.architecture", out->arch, sizeof out->arch) < 0)
		out->arch[0] = '\0';
	if (llama_model_meta_val_str(m, "general.name", out->name, sizeof out->name) < 0)
		out->name[0] = '\0';
	out->params = llama_model_n_params(m);
	out->context = llama_model_n_ctx_train(m);
	out->dim = llama_model_n_embd(m);
	snprintf(key, sizeof key, "%s.pooling_type", out->arch);
	out->embedding = llama_model_meta_val_str(m, key, val, sizeof val) >= 0 &&
			 strcmp(val, "0") != 0;
	out->reranking = out->embedding && atoi(val) == LLAMA_POOLING_TYPE_RANK;
	llama_model_free(m);
	return 0;
}

int model_info_check(const char *path)
{
	struct gguf_init_params ip = {.no_alloc = true, .ctx = NULL};
	struct gguf_context *g;
	unsigned char magic[4];
	struct stat st;
	uint64_t end = 0;
	size_t got;
	int64_t k;
	FILE *f;

	if (!(f = fopen(path, "rb")))
		return docent_error_set(errno == ENOENT ? DOCENT_ENOTFOUND : DOCENT_EIO,
					"cannot read %s: %s", path, strerror(errno));
	got = fread(magic, 1, sizeof magic, f);
	if (fstat(fileno(f), &st) != 0)
		st.st_size = 0;
	fclose(f);
	if (got != sizeof magic || memcmp(magic, "GGUF", 4) != 0)
		return docent_error_set(DOCENT_EFORMAT, "%s is not a GGUF file (it does not start "
					"with GGUF)", path);
	llama_common_start(); /* ggml's own log would print the parse errors */
	if (!(g = gguf_init_from_file(path, ip)))
		return docent_error_set(DOCENT_EFORMAT, "%s: the GGUF metadata cannot be read (a "
					"damaged or truncated file)", path);
	k = gguf_find_key(g, "general.architecture");
	if (k < 0 || gguf_get_kv_type(g, k) != GGUF_TYPE_STRING) {
		gguf_free(g);
		return docent_error_set(DOCENT_EFORMAT, "%s: the GGUF metadata has no "
					"general.architecture", path);
	}
	for (int64_t i = 0; i < gguf_get_n_tensors(g); i++) {
		uint64_t e = (uint64_t)gguf_get_data_offset(g) + gguf_get_tensor_offset(g, i) +
			     gguf_get_tensor_size(g, i);
		if (e > end)
			end = e;
	}
	gguf_free(g);
	if (end > (uint64_t)st.st_size)
		return docent_error_set(DOCENT_EFORMAT, "%s is truncated: its tensors end at byte "
					"%llu, the file has %llu", path, (unsigned long long)end,
					(unsigned long long)st.st_size);
	return 0;
}
