/*
 * error.c - error codes, their fixed descriptions, and the per-thread
 * message buffer behind docent_error_set()/docent_error_message().
 */
#include "core/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MSG_MAX 1024

static _Thread_local char last_message[MSG_MAX];

const char *docent_strerror(int code)
{
	switch (code) {
	case DOCENT_OK: return "success";
	case DOCENT_ENOMEM: return "out of memory";
	case DOCENT_EINVAL: return "invalid argument";
	case DOCENT_EIO: return "input/output error";
	case DOCENT_ENOTFOUND: return "not found";
	case DOCENT_EEXIST: return "already exists";
	case DOCENT_EDB: return "database error";
	case DOCENT_EFORMAT: return "corrupt or malformed document";
	case DOCENT_EUNSUPPORTED: return "unsupported file type";
	case DOCENT_ETOOBIG: return "over the size limit";
	case DOCENT_EENCRYPTED: return "encrypted document";
	case DOCENT_EEMPTY: return "no text in document";
	case DOCENT_EPERM: return "permission denied";
	case DOCENT_ECONFIG: return "invalid configuration";
	case DOCENT_ECANCELLED: return "cancelled";
	case DOCENT_ESCHEMA: return "database schema too new";
	case DOCENT_EBUSY: return "database is busy";
	case DOCENT_ENOSPC: return "no space left on device";
	}
	return "unknown error";
}

int docent_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_message, sizeof last_message, fmt, ap);
	va_end(ap);
	return code;
}

int docent_error_wrap(int code, const char *fmt, ...)
{
	char prefix[MSG_MAX], old[MSG_MAX];
	va_list ap;

	memcpy(old, last_message, sizeof old);
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* truncation is acceptable: the message is for a person */
	size_t k = strlen(prefix);
	if (k > MSG_MAX - 1)
		k = MSG_MAX - 1;
	memcpy(last_message, prefix, k);
	if (old[0] && k + 2 < MSG_MAX) {
		size_t m = strlen(old);
		memcpy(last_message + k, ": ", 2);
		k += 2;
		if (m > MSG_MAX - 1 - k)
			m = MSG_MAX - 1 - k;
		memcpy(last_message + k, old, m);
		k += m;
	}
	last_message[k] = '\0';
	return code;
}

const char *docent_error_message(void)
{
	return last_message;
}

void docent_error_clear(void)
{
	last_message[0] = '\0';
}

int docent_error_from_errno(int errnum)
{
	switch (errnum) {
	case ENOMEM: return DOCENT_ENOMEM;
	case ENOENT: case ENOTDIR: return DOCENT_ENOTFOUND;
	case EACCES: case EPERM: return DOCENT_EPERM;
	case EEXIST: return DOCENT_EEXIST;
	case EFBIG: return DOCENT_ETOOBIG;
	case ENOSPC: case EDQUOT: return DOCENT_ENOSPC;
	case EINVAL: return DOCENT_EINVAL;
	}
	return DOCENT_EIO;
}
