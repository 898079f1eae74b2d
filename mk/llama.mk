# mk/llama.mk - llama.cpp for docent's engine, and the random-weight test models.
#
# Included from the Makefile, after its `all` rule (else `llama` becomes the
# default goal). Defines
#   LLAMA_CFLAGS  compiler flags for #include "llama.h"
#   LLAMA_LIBS    static libllama + libggml*, then -lstdc++ -lm -lpthread -ldl
#   LLAMA_BIN     llama.cpp's tools (llama-server, llama-embedding, llama-bench...)
# from scripts/llama.sh, which builds the pinned llama.cpp once into
# ~/.cache/docent (see docs/llama.md). The variables are looked up the first
# time a rule uses them, once per make run: `make clean` or a target that
# does not link llama.cpp never starts the build.
#
#   make tiny-models   build/models/tiny-{embed,chat,llama,phi3,gemma2,rerank,rerank-tmpl}.gguf
#   make bench-models  real-shape random models (MiniLM-L6, Qwen2 0.5B Q4_K_M,
#                      a bge-reranker-base-shaped cross-encoder)

LLAMA_SH   := scripts/llama.sh
MODELS_DIR ?= build/models

llama_query = $(or $(shell $(LLAMA_SH) $1),$(error $(LLAMA_SH) $1 failed, see the messages above))

# Lazy and memoised: the first expansion replaces the variable by its value.
LLAMA_CFLAGS = $(eval LLAMA_CFLAGS := $(call llama_query,--cflags))$(LLAMA_CFLAGS)
LLAMA_LIBS   = $(eval LLAMA_LIBS := $(call llama_query,--libs))$(LLAMA_LIBS)
LLAMA_BIN    = $(eval LLAMA_BIN := $(call llama_query,--bin))$(LLAMA_BIN)
LLAMA_PY     = $(eval LLAMA_PY := $(call llama_query,--python))$(LLAMA_PY)

# tiny-chat is Qwen2; tiny-llama, tiny-phi3 and tiny-gemma2 are the other
# chat architectures of the catalogue, each with its real chat template.
TINY_MODELS := $(MODELS_DIR)/tiny-embed.gguf $(MODELS_DIR)/tiny-chat.gguf \
	$(MODELS_DIR)/tiny-llama.gguf $(MODELS_DIR)/tiny-phi3.gguf $(MODELS_DIR)/tiny-gemma2.gguf
TINY_MODELS += $(MODELS_DIR)/tiny-rerank.gguf $(MODELS_DIR)/tiny-rerank-tmpl.gguf

.PHONY: llama tiny-models bench-models

# Builds (or finds) llama.cpp and says where it is.
llama:
	@$(LLAMA_SH)

tiny-models: $(TINY_MODELS)

$(MODELS_DIR)/tiny-%.gguf: scripts/make_tiny_models.py
	@$(LLAMA_PY) scripts/make_tiny_models.py --shape tiny-$* --out-dir $(MODELS_DIR)

# Not built by default: about 1 GB of random numbers and a quantisation.
bench-models:
	@$(LLAMA_PY) scripts/make_tiny_models.py --shape minilm --out-dir $(MODELS_DIR)
	@$(LLAMA_PY) scripts/make_tiny_models.py --shape qwen0.5b --quant Q4_K_M --out-dir $(MODELS_DIR)
	@$(LLAMA_PY) scripts/make_tiny_models.py --shape rerank-base --out-dir $(MODELS_DIR)
