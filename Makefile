# docent - build, test, demo and benchmarks.
#
#   make            build build/docent
#   make test       install what is missing, then build and run every test,
#                   once normally and once under AddressSanitizer + UBSan
#   make demo       ingest examples/ and run a few searches
#   make bench      benchmarks (see docs/performance.md)
#   make llama      build the pinned llama.cpp once into ~/.cache/docent
#   make tiny-models  random-weight GGUF models for the engine's tests
#   make V=1 ...    show each step's full command (by default one short
#                   line per step, "CC core/buf.o"; warnings always show)
#   make fuzz       libFuzzer targets, each FUZZ_SECONDS (600) under ASan +
#                   UBSan (FUZZ=html runs one; needs clang, see fuzz/README.md)
#
# Dependencies are found with pkg-config; scripts/bootstrap.sh installs the
# Debian packages that are missing (as root) or prints the command to.

CC      ?= cc
BUILD   ?= build
SAN     ?=
PKGS    := sqlite3 libpcre2-8 poppler-glib libzip libxml-2.0 md4c libutf8proc inih jansson libcrypto libcurl libedit libmicrohttpd

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# poppler-glib and libcurl are loaded when first needed (ingest/extract_pdf.c,
# engine/curl_lib.c), not linked: they bring two thirds of the shared
# libraries, 22 ms at the start of every command.
PKG_LIBS   := $(shell pkg-config --libs $(filter-out poppler-glib libcurl,$(PKGS)) 2>/dev/null)
POPPLER_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir poppler-glib 2>/dev/null)/libpoppler-glib.so" 2>/dev/null | awk '/SONAME/ { print $$2 }')

# Quiet steps: `$(call say,CC)` before a command prints "  CC   core/buf.o"
# (the target without the build folder) instead of the command; V=1 prints
# the command. Warnings and errors are the compiler's and show either way.
ifeq ($(V),1)
say      =
else
say      = @printf '  %-4s %s\n' $1 '$(patsubst $(BUILD)/%,%,$(patsubst $(BUILD)/obj/%,%,$@))';
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
OPT     ?= -O2 -g
CFLAGS  ?=
override CFLAGS += $(OPT) -std=c11 -D_GNU_SOURCE -pthread $(WARN) -I. $(PKG_CFLAGS)
$(BUILD)/obj/ingest/extract_pdf.o: override CFLAGS += $(if $(POPPLER_SONAME),-DPOPPLER_GLIB_SONAME='"$(POPPLER_SONAME)"')
LDLIBS  := $(PKG_LIBS) -lcsv -lstemmer -lm -pthread

ifeq ($(SAN),1)
override CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(wildcard core/*.c ingest/*.c index/*.c rag/*.c engine/*.c config/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/prompts.o

# FAISS through its C API. Debian's libfaiss-dev has the C API headers but
# no C API library: then index/faiss_c_shim.cpp provides the functions
# docent uses, on top of the C++ library (see docs/faiss.md).
CXX     ?= c++
CXXFLAGS_D := $(OPT) -std=c++17 -fPIC -Wall -Wextra -I.
ifeq ($(SAN),1)
CXXFLAGS_D += -fsanitize=address,undefined -fno-omit-frame-pointer
endif
HAVE_FAISS_C := $(shell printf 'int main(void){return 0;}' | $(CC) -x c - -lfaiss_c -lfaiss -o /dev/null 2>/dev/null && echo y)
ifeq ($(HAVE_FAISS_C),y)
FAISS_LIBS := -lfaiss_c -lfaiss
else
LIB_OBJ += $(patsubst %.cpp,$(BUILD)/obj/%.o,$(sort $(wildcard index/*.cpp)))
FAISS_LIBS := -lfaiss
endif
LDLIBS  += $(FAISS_LIBS) -llapack -lblas -lgomp -lstdc++

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(call say,CXX)$(CXX) $(CXXFLAGS_D) -MMD -MP -c $< -o $@
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
# the web face: the server's C files and the page, built into the binary
WEB_SRC  := $(sort $(wildcard web/*.c))
CLI_OBJ  += $(WEB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/web_assets.o
# the catalogue is the engine's (engine/catalogue.c reads it)
LIB_OBJ  += $(BUILD)/obj/catalogue.o
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)
LIB      := $(BUILD)/libdocent.a
BIN      := $(BUILD)/docent

.PHONY: all test check headers layers demo bench bootstrap clean tests-bin

all: $(BIN)

# llama.cpp (built once into ~/.cache/docent) and the generated test models
include mk/llama.mk

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The model catalogue (config/models.conf) is built into the binary.
$(BUILD)/gen/catalogue.c: config/models.conf
	@mkdir -p $(@D)
	$(call say,GEN){ echo '/* generated from config/models.conf */'; \
	   echo 'const char docent_models_catalogue[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	   echo ';'; } >$@

$(BUILD)/obj/catalogue.o: $(BUILD)/gen/catalogue.c
	$(call say,CC)$(CC) $(CFLAGS) -c $< -o $@

# The prompt templates (config/prompts/NAME.txt) are built into the library
# (rag/prompt.c looks them up by name).
PROMPTS := $(sort $(wildcard config/prompts/*.txt))
$(BUILD)/gen/prompts.c: $(PROMPTS)
	@mkdir -p $(@D)
	$(call say,GEN){ echo '/* generated from config/prompts/ */'; \
	   echo 'typedef struct { const char *name, *text; } prompt_entry;'; \
	   echo 'extern const prompt_entry docent_prompt_table[];'; \
	   echo 'const prompt_entry docent_prompt_table[] = {'; \
	   for f in $(PROMPTS); do \
	     printf '{ "%s",\n' "$$(basename $$f .txt)"; \
	     sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; \
	     echo '},'; \
	   done; \
	   echo '{ 0, 0 } };'; } >$@

$(BUILD)/obj/gen/prompts.o: $(BUILD)/gen/prompts.c
	@mkdir -p $(@D)
	$(call say,CC)$(CC) $(CFLAGS) -c $< -o $@

# The page: web/ui/app.js and the npm modules it imports bundled by esbuild
# (web/node_modules, installed by scripts/bootstrap.sh), then every file
# embedded in a C table (web/assets.c serves it).
ESBUILD    := web/node_modules/.bin/esbuild
WEB_UI     := $(sort $(wildcard web/ui/*))
$(BUILD)/web/app.js: $(filter %.js,$(WEB_UI)) web/package-lock.json
	@mkdir -p $(@D)
	@test -x $(ESBUILD) || { echo "$(ESBUILD) is missing: run scripts/bootstrap.sh (npm ci in web/)"; exit 1; }
	$(call say,GEN)$(ESBUILD) web/ui/app.js --bundle --format=esm --minify --target=es2020 --log-level=warning --outfile=$@

WEB_ASSETS := /index.html=web/ui/index.html /style.css=web/ui/style.css /icon.svg=web/ui/icon.svg \
              /app.js=$(BUILD)/web/app.js
$(BUILD)/gen/web_assets.c: scripts/embed_files.py $(WEB_UI) $(BUILD)/web/app.js
	@mkdir -p $(@D)
	$(call say,GEN)python3 scripts/embed_files.py $@ $(WEB_ASSETS)

$(BUILD)/obj/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	@mkdir -p $(@D)
	$(call say,CC)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(call say,AR)ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(call say,LD)$(CC) $(LDFLAGS) $(CLI_OBJ) $(LIB) $(LDLIBS) $(LLAMA_LIBS) -o $@

# The in-process model backends compile against llama.cpp's header, and
# everything that may call them links its static libraries. Test binaries do
# (the engine's tests need the generated tiny models) and so does the
# docent binary (`docent generate`). LLAMA_* come from mk/llama.mk and
# are looked up only when used, so `make clean` never builds llama.cpp.
LLAMA_OBJ := $(addprefix $(BUILD)/obj/engine/,embed_llama.o gen_llama.o llama_common.o model_info.o \
	rerank_llama.o)
$(LLAMA_OBJ): override CFLAGS += $(LLAMA_CFLAGS)
$(BUILD)/tests/engine/test_llama_embed $(BUILD)/tests/engine/test_llama_gen $(BUILD)/tests/engine/test_llama_server $(BUILD)/tests/engine/test_chat_archs $(BUILD)/tests/engine/test_model_kinds: $(TINY_MODELS)
$(BUILD)/tests/engine/test_reranker: $(TINY_MODELS)
$(BUILD)/tests/rag/test_chat: $(TINY_MODELS)
$(BUILD)/tests/rag/test_summarize: $(TINY_MODELS)

# the web face's tests link the face's files they drive
$(BUILD)/tests/web/test_mcp: TEST_OBJ := $(BUILD)/obj/web/mcp.o
$(BUILD)/tests/web/test_mcp: $(BUILD)/obj/web/mcp.o

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(wildcard tests/*/*.h) $(LIB)
	@mkdir -p $(@D)
	$(call say,LD)$(CC) $(CFLAGS) -DDOCENT_SRC_DIR='"$(CURDIR)"' $< $(TEST_OBJ) $(LIB) $(LDLIBS) $(LLAMA_LIBS) -lcmocka $(LDFLAGS) -o $@

# The web face's pure helpers (web/util.c) are tested on their own.
$(BUILD)/tests/web/test_util: tests/web/test_util.c tests/testutil.h $(BUILD)/obj/web/util.o $(LIB)
	@mkdir -p $(@D)
	$(call say,LD)$(CC) $(CFLAGS) $< $(BUILD)/obj/web/util.o $(LIB) $(LDLIBS) $(LLAMA_LIBS) -lcmocka $(LDFLAGS) -o $@

$(BUILD)/bench/%: bench/%.c $(wildcard bench/*.h) $(LIB)
	@mkdir -p $(@D)
	$(call say,LD)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) $(LLAMA_LIBS) $(LDFLAGS) -o $@

tests-bin: $(BIN) $(TEST_BIN)

bootstrap:
	@scripts/bootstrap.sh

# The README's test command: a normal build, then ASan + UBSan.
test: bootstrap
	@$(MAKE) --no-print-directory check BUILD=build
	@$(MAKE) --no-print-directory check BUILD=build/asan SAN=1 OPT="-O1 -g"

check: tests-bin headers layers
	@tests/run.sh $(BUILD)

# The engine sits below the ingester and the index: it must not include
# their headers (the token counter it shares with the chunker is in core/).
layers:
	@bad=$$(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(ingest|index)/' engine/*.c engine/*.h); \
	if [ -n "$$bad" ]; then echo "engine/ must not include ingest/ or index/ headers: $$bad"; exit 1; fi

# Every public header compiles on its own (it includes what it uses).
HEADERS := $(sort $(filter-out %_int.h,$(wildcard core/*.h ingest/*.h index/*.h rag/*.h engine/*.h config/*.h)))
headers:
	@for h in $(HEADERS); do \
		printf '#include "%s"\n' $$h | $(CC) $(CFLAGS) -fsyntax-only -x c - || \
			{ echo "header $$h does not compile alone"; exit 1; }; \
	done

demo: bootstrap
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BIN)

bench: bootstrap $(BIN) $(BENCH_BIN)
	@bench/run.sh $(BUILD)

clean:
	rm -rf build

# ---- fuzzing (fuzz/, see fuzz/README.md) ----------------------------------
# Each fuzz/fuzz_NAME.c is a libFuzzer target. In every build it is also a
# unit test, BUILD/tests/fuzz/test_fuzz_NAME (linked with fuzz/replay.c by
# the normal compiler), that replays its seeds and its regressions, so
# `make test` needs no clang. `make fuzz` builds the library and the
# targets with clang in build/fuzz (SAN=fuzz) and runs each target for
# FUZZ_SECONDS; FUZZ=NAME runs only that one (or a list of them).
FUZZ_SRC     := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_NAMES   := $(FUZZ_SRC:fuzz/fuzz_%.c=%)
FUZZ_REPLAY  := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/test_fuzz_%)
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 600
FUZZ         ?= $(FUZZ_NAMES)
FUZZ_BIN     := $(FUZZ:%=$(BUILD)/fuzz/fuzz_%)

ifeq ($(SAN),fuzz)
override CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
# vptr checks need UBSan's C++ runtime, which clang links only for C++
CXXFLAGS_D += -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer

# ggml's GGUF reader built from llama.cpp's source with the fuzzer's
# instrumentation, so that the gguf target sees its branches (the static
# library's copy then stays out of the link: its symbols are found here).
# Without UBSan's enum check: ggml reads a type tag into its enum before
# checking it, harmless and not ours to change.
LLAMA_SRC = $(patsubst -I%/include,%/src,$(LLAMA_CFLAGS))
$(BUILD)/obj/fuzz/gguf.o:
	@mkdir -p $(@D)
	$(call say,CXX)$(CXX) $(CXXFLAGS_D) -fsanitize=fuzzer-no-link -fno-sanitize=function,enum -w \
		-I$(LLAMA_SRC)/ggml/include -I$(LLAMA_SRC)/ggml/src \
		-c $(LLAMA_SRC)/ggml/src/gguf.cpp -o $@
$(BUILD)/fuzz/fuzz_gguf: FUZZ_OBJ := $(BUILD)/obj/fuzz/gguf.o
$(BUILD)/fuzz/fuzz_gguf: $(BUILD)/obj/fuzz/gguf.o
endif

# the web target reads the route table, which links the web face's files
FUZZ_WEB_OBJ := $(WEB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/web_assets.o
$(BUILD)/tests/fuzz/test_fuzz_web $(BUILD)/fuzz/fuzz_web: FUZZ_OBJ := $(FUZZ_WEB_OBJ)
$(BUILD)/tests/fuzz/test_fuzz_web $(BUILD)/fuzz/fuzz_web: $(FUZZ_WEB_OBJ)
$(BUILD)/tests/fuzz/test_fuzz_mcp $(BUILD)/fuzz/fuzz_mcp: FUZZ_OBJ := $(BUILD)/obj/web/mcp.o
$(BUILD)/tests/fuzz/test_fuzz_mcp $(BUILD)/fuzz/fuzz_mcp: $(BUILD)/obj/web/mcp.o

tests-bin: $(FUZZ_REPLAY)

$(BUILD)/tests/fuzz/test_fuzz_%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz.h $(LIB)
	@mkdir -p $(@D)
	$(call say,LD)$(CC) $(CFLAGS) -DFUZZ_NAME='"$*"' -DDOCENT_SRC_DIR='"$(CURDIR)"' fuzz/replay.c $< \
		$(FUZZ_OBJ) $(LIB) $(LDLIBS) $(LLAMA_LIBS) -lcmocka $(LDFLAGS) -o $@

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(LIB)
	@mkdir -p $(@D)
	$(call say,LD)$(CC) $(CFLAGS) $< $(FUZZ_OBJ) $(LIB) $(LDLIBS) $(LLAMA_LIBS) \
		-fsanitize=fuzzer,address,undefined -o $@

.PHONY: fuzz fuzz-bin
fuzz-bin: $(FUZZ_BIN)

fuzz:
	@scripts/bootstrap.sh --fuzz
	@$(MAKE) --no-print-directory fuzz-bin BUILD=$(FUZZ_BUILD) SAN=fuzz CC=clang CXX=clang++ \
		OPT="-O1 -g"
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ)
# ---- end of fuzzing --------------------------------------------------------

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
