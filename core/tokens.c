/*
 * tokens.c - the simple token counter (see tokens.h): words and
 * punctuation, a stand-in for a model's tokenizer that needs no model.
 */
#include "core/tokens.h"
#include "core/text.h"

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Unicode spaces (no-break, em, ideographic ...) and zero-width marks: not tokens. */
static int is_unicode_space(unsigned cp)
{
	return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200D) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 || cp == 0x3000;
}

enum { CH_SPACE, CH_WORD, CH_PUNCT };

/* The class of the character at s[*i], advancing *i past it. Word
 * characters are text_is_word_char's, as in text_next_word; ASCII is
 * classified inline because it is most of every text. */
static inline int char_class(const char *s, size_t n, size_t *i)
{
	unsigned char c = (unsigned char)s[*i];

	if (c < 0x80) {
		(*i)++;
		if ((unsigned)((c | 0x20) - 'a') < 26u || (unsigned)(c - '0') < 10u)
			return CH_WORD;
		return is_space(c) ? CH_SPACE : CH_PUNCT;
	}
	unsigned cp = text_utf8_next(s, n, i);
	if (text_is_word_char(cp))
		return CH_WORD;
	return is_unicode_space(cp) ? CH_SPACE : CH_PUNCT;
}

/*
 * One token per word, one per punctuation mark (any other non-space
 * character), and one more for every further 6 code points of a long word
 * (code points, not bytes, so that "Überprüfung" costs what "Uberprufung"
 * does). Words are those of text_next_word; this is the same scan done in
 * one pass, since the counter sees every byte of every document.
 */
static size_t simple_count(void *ctx, const char *s, size_t n)
{
	size_t i = 0, tokens = 0;

	while (i < n) {
		int cls = char_class(s, n, &i);
		if (cls != CH_WORD) {
			tokens += cls == CH_PUNCT;
			continue;
		}
		size_t cps = 1;
		for (;;) {
			/* the common case: a run of ASCII letters and digits */
			while (i < n && ((unsigned)((s[i] | 0x20) - 'a') < 26u ||
					 (unsigned)(s[i] - '0') < 10u)) {
				i++;
				cps++;
			}
			if (i >= n)
				break;
			size_t at = i;
			if (char_class(s, n, &i) != CH_WORD) {
				i = at; /* not part of the word: look at it again above */
				break;
			}
			cps++;
		}
		tokens += 1 + (cps - 1) / 6;
	}
	return tokens;
}

token_counter token_counter_simple(void)
{
	return (token_counter){.count = simple_count, .ctx = NULL};
}
