/*
 * error.h - docent's error codes and the thread-local "last error" message.
 *
 * Every library function that can fail returns an int: 0 on success or a
 * negative DOCENT_E* code. The code says what kind of failure it was (so a
 * caller can branch on it); the message says, for a person, what happened
 * and what to do (the file, the line, the setting involved). The message
 * lives in thread-local storage until the next docent_error_set() or
 * docent_error_clear() on the same thread. Numbers are never reused.
 */
#ifndef DOCENT_CORE_ERROR_H
#define DOCENT_CORE_ERROR_H

enum docent_error {
	DOCENT_OK = 0,
	DOCENT_ENOMEM = -1,       /* out of memory */
	DOCENT_EINVAL = -2,       /* invalid argument, bad usage */
	DOCENT_EIO = -3,          /* reading or writing a file failed */
	DOCENT_ENOTFOUND = -4,    /* no such file, document, collection */
	DOCENT_EEXIST = -5,       /* already exists */
	DOCENT_EDB = -6,          /* the SQLite database failed */
	DOCENT_EFORMAT = -7,      /* the file is corrupt or not of its format */
	DOCENT_EUNSUPPORTED = -8, /* not a document docent can read (binary, unknown) */
	DOCENT_ETOOBIG = -9,      /* over a size limit (max file size, zip bomb) */
	DOCENT_EENCRYPTED = -10,  /* password-protected document */
	DOCENT_EEMPTY = -11,      /* the document holds no text */
	DOCENT_EPERM = -12,       /* permission denied */
	DOCENT_ECONFIG = -13,     /* invalid configuration */
	DOCENT_ECANCELLED = -14,  /* the caller asked to stop */
	DOCENT_ESCHEMA = -15,     /* database written by a newer docent */
	DOCENT_EBUSY = -16,       /* the database is locked by another process */
	DOCENT_ENOSPC = -17,      /* disk full */
};

/* A short, fixed description of an error code ("out of memory"). Never NULL. */
const char *docent_strerror(int code);

/*
 * Records a message for the current thread and returns `code`, so that
 * callers can write `return docent_error_set(DOCENT_EIO, "...", ...)`.
 * The message is printf-formatted and truncated at 1 KiB.
 */
int docent_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes the current message with more context: "PREFIX: old message". */
int docent_error_wrap(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The current thread's last message; "" when none. Borrowed until the next set. */
const char *docent_error_message(void);

void docent_error_clear(void);

/* Maps an errno value to the closest DOCENT_E* code. */
int docent_error_from_errno(int errnum);

#endif
