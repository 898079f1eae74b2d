/*
 * model_info.h - what a GGUF model file is: architecture, size, context,
 * dimension, and whether it makes embeddings or text. Read through
 * llama.cpp (the file is memory-mapped, not read whole). Thread-safe.
 */
#ifndef DOCENT_ENGINE_MODEL_INFO_H
#define DOCENT_ENGINE_MODEL_INFO_H

#include <stdint.h>

typedef struct model_info {
	char name[256];        /* general.name, or "" */
	char arch[64];         /* "bert", "qwen2", "llama", ... */
	uint64_t params;       /* parameters */
	int64_t file_bytes;
	int context;           /* training context in tokens */
	int dim;               /* embedding width */
	int embedding;         /* non-zero for an embedding model (it pools) */
	int reranking;         /* non-zero for a reranker (pooling "rank"; embedding is set too) */
} model_info;

/* "reranking", "embedding" or "chat": the role the file can play. */
const char *model_info_kind(const model_info *mi);

/* Reads path's metadata. DOCENT_ENOTFOUND, or DOCENT_EFORMAT for a file
 * llama.cpp cannot load, with a message naming the file. */
int model_info_read(const char *path, model_info *out);

/* Checks that path holds a whole GGUF file without loading it: the magic,
 * metadata that parses (with general.architecture), and tensor data that
 * ends within the file (a truncated download does not). Reads only the
 * header. 0, DOCENT_ENOTFOUND, DOCENT_EIO, or DOCENT_EFORMAT with a message
 * that says what is wrong. */
int model_info_check(const char *path);

#endif
