/*
 * fuzz_config.c - the configuration reader (config/config.c, inih): any
 * file loads or fails with DOCENT_ECONFIG, never a crash. A file that
 * loads is then edited as `docent config set` does (config_file_set) and
 * must load again with the new value in place.
 */
#include "fuzz/fuzz.h"
#include "config/config.h"
#include "core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config *c = NULL;
	const char *path = fuzz_file(".conf", data, size);

	if (!path)
		return 0;
	int rc = config_load(&c, path);
	FUZZ_CHECK(rc == 0 || rc == DOCENT_ECONFIG || rc == DOCENT_ENOMEM);
	config_free(c);
	c = NULL;
	if (rc == 0 && config_file_set(path, "engine.chat_model", "fuzz-model") == 0) {
		rc = config_load(&c, path);
		if (rc)
			fprintf(stderr, "after config_file_set: %s\n", docent_error_message());
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(strcmp(config_get(c, "engine.chat_model"), "fuzz-model") == 0);
		config_free(c);
	}
	docent_error_clear();
	return 0;
}
