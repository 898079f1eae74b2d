/*
 * model_info.c - GGUF metadata through llama.cpp (see model_info.h). An
 * embedding model is recognised by the pooling type its metadata declares.
 */
#include "engine/model_info.h"
#include "engine/engine_int.h"
#include "core/error.h"

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
