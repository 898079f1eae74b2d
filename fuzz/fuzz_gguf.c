/*
 * fuzz_gguf.c - GGUF metadata (engine/model_info.c's model_info_check,
 * over ggml's gguf reader): what `models pull` runs on every download
 * before installing it. Any file is accepted or refused with
 * DOCENT_EFORMAT or DOCENT_EIO and a message, never a crash.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "engine/model_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(".gguf", data, size);

	if (!path)
		return 0;
	int rc = model_info_check(path);
	FUZZ_CHECK(rc == 0 || rc == DOCENT_EFORMAT || rc == DOCENT_EIO);
	if (rc)
		FUZZ_CHECK(docent_error_message()[0] != '\0');
	docent_error_clear();
	return 0;
}
