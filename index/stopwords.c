/*
 * stopwords.c - English stop words, which keyword queries leave out.
 *
 * They are still indexed: leaving them out of the index (a tokenizer that
 * drops them) was measured and made ingestion no faster, while BM25's
 * document lengths would then have to be counted the same way.
 */
#include "index/store_int.h"

#include <stdlib.h>
#include <string.h>

/* English function words, sorted (strcmp order). Words that are often
 * content in documents ("may", "will", "us", "won") are left out, and so
 * are single letters other than "a" and "i": "t" and "s" come from
 * contractions ("don't", "it's") but name things as often (T cells, the S
 * phase, vitamin D); search.c also keeps a stop word the query writes in
 * capitals ("IT", "WHO"). */
static const char *const stopwords[] = {
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
	"any", "are", "aren", "as", "at", "be", "because", "been", "before", "being", "below",
	"between", "both", "but", "by", "can", "cannot", "could", "couldn", "did", "do",
	"does", "doesn", "doing", "don", "down", "during", "each", "eg", "either", "etc",
	"every", "few", "for", "from", "further", "had", "hadn", "has", "hasn", "have",
	"haven", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his",
	"how", "i", "ie", "if", "in", "into", "is", "isn", "it", "its", "itself", "just",
	"let", "many", "me", "might", "more", "most", "much", "must", "my", "myself",
	"neither", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
	"other", "our", "ours", "ourselves", "out", "over", "own", "per", "same",
	"shall", "she", "should", "shouldn", "so", "some", "such", "than", "that", "the",
	"their", "theirs", "them", "themselves", "then", "there", "these", "they", "this",
	"those", "through", "to", "too", "under", "until", "up", "upon", "very", "via",
	"was", "wasn", "we", "were", "weren", "what", "when", "where", "whether", "which",
	"while", "who", "whom", "whose", "why", "with", "within", "without",
	"would", "wouldn", "yet", "you", "your", "yours", "yourself", "yourselves",
};
#define NSTOP (sizeof stopwords / sizeof stopwords[0])

int store_is_stopword(const char *w, size_t n)
{
	size_t lo = 0, hi = NSTOP;

	if (n == 0 || n > 10)
		return 0; /* the longest stop word has 10 letters */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *s = stopwords[mid];
		int c = strncmp(s, w, n);
		if (c == 0 && s[n] != '\0')
			c = 1; /* s is longer: it sorts after w */
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}
