/*
 * tokenize.c - benchmark program: a switch-driven lexer (a state machine over the bytes of mem)
 * for a C-like text of identifiers, decimal numbers, "strings" with \-escapes, // comments,
 * punctuation and white space. Returns a rolling hash of the token kinds, lengths and number values,
 * mixed with the line and error counts, so a wrong transition anywhere shows in the result.
 */
#include <stdint.h>

enum { S_SPACE, S_IDENT, S_NUMBER, S_STRING, S_ESCAPE, S_SLASH, S_COMMENT };
enum { T_IDENT = 1, T_NUMBER, T_STRING, T_PUNCT, T_COMMENT };

/* Fold one token into the hash and start the next one. */
#define EMIT(kind, extra)                                                                                    \
	do {                                                                                                 \
		h = (h * 33) ^ ((uint64_t)(kind) << 56) ^ (tok_len << 32) ^ (uint64_t)(extra);               \
		tokens++;                                                                                    \
		tok_len = 0;                                                                                 \
	} while (0)

uint64_t tokenize(void *mem, uint64_t len)
{
	const uint8_t *p = mem;
	uint64_t h = 5381, tokens = 0, lines = 0, errors = 0;
	uint64_t tok_len = 0, value = 0;
	uint64_t i = 0;
	unsigned int state = S_SPACE;

	while (i < len) {
		uint8_t c = p[i];

		switch (state) {
		case S_SPACE:
			switch (c) {
			case 'a' ... 'z':
			case 'A' ... 'Z':
			case '_':
				state = S_IDENT;
				tok_len = 1;
				break;
			case '0' ... '9':
				state = S_NUMBER;
				value = c - '0';
				tok_len = 1;
				break;
			case '"':
				state = S_STRING;
				tok_len = 0;
				break;
			case '/':
				state = S_SLASH;
				break;
			case ' ':
			case '\t':
			case '\r':
				break;
			case '\n':
				lines++;
				break;
			case '(':
			case ')':
			case '{':
			case '}':
			case '[':
			case ']':
			case ';':
			case ',':
			case '+':
			case '-':
			case '*':
			case '=':
			case '<':
			case '>':
				tok_len = 1;
				EMIT(T_PUNCT, c);
				break;
			default:
				errors++;
				break;
			}
			i++;
			break;
		case S_IDENT:
			switch (c) {
			case 'a' ... 'z':
			case 'A' ... 'Z':
			case '0' ... '9':
			case '_':
				tok_len++;
				i++;
				break;
			default:
				EMIT(T_IDENT, 0);
				state = S_SPACE; /* look at c again */
				break;
			}
			break;
		case S_NUMBER:
			switch (c) {
			case '0' ... '9':
				value = value * 10 + (c - '0');
				tok_len++;
				i++;
				break;
			default:
				EMIT(T_NUMBER, value);
				state = S_SPACE;
				break;
			}
			break;
		case S_STRING:
			switch (c) {
			case '"':
				EMIT(T_STRING, 0);
				state = S_SPACE;
				break;
			case '\\':
				state = S_ESCAPE;
				break;
			case '\n':
				errors++;
				lines++;
				EMIT(T_STRING, 1);
				state = S_SPACE;
				break;
			default:
				tok_len++;
				break;
			}
			i++;
			break;
		case S_ESCAPE:
			tok_len++;
			state = S_STRING;
			i++;
			break;
		case S_SLASH:
			if (c == '/') {
				state = S_COMMENT;
				i++;
			} else {
				tok_len = 1;
				EMIT(T_PUNCT, '/');
				state = S_SPACE;
			}
			break;
		default: /* S_COMMENT */
			if (c == '\n') {
				EMIT(T_COMMENT, 0);
				lines++;
				state = S_SPACE;
			} else {
				tok_len++;
			}
			i++;
			break;
		}
	}
	if (state != S_SPACE)
		EMIT(state, 2);
	return h ^ (tokens << 40) ^ (lines << 20) ^ errors;
}
