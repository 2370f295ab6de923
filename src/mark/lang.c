#include <string.h>

#include "common/str.h"
#include "mark/lang.h"
#include "common/emb.h"

static const char *const names[MARK_LANG_COUNT] = {
    [MARK_LANG_BINARY] = "binary",
    [MARK_LANG_PROSE] = "prose",
    [MARK_LANG_PYTHON] = "python",
    [MARK_LANG_POWERSHELL] = "powershell",
    [MARK_LANG_C] = "c",
    [MARK_LANG_SHELL] = "shell",
    [MARK_LANG_YARA] = "yara",
    [MARK_LANG_SURICATA] = "suricata",
};

static const struct {
	const char *ext;
	enum mark_lang lang;
} extensions[] = {
    {".py", MARK_LANG_PYTHON},
    {".pyw", MARK_LANG_PYTHON},
    {".ps1", MARK_LANG_POWERSHELL},
    {".psm1", MARK_LANG_POWERSHELL},
    {".c", MARK_LANG_C},
    {".h", MARK_LANG_C},
    {".cc", MARK_LANG_C},
    {".cpp", MARK_LANG_C},
    {".cxx", MARK_LANG_C},
    {".hpp", MARK_LANG_C},
    {".cs", MARK_LANG_C},
    {".java", MARK_LANG_C},
    {".js", MARK_LANG_C},
    {".mjs", MARK_LANG_C},
    {".ts", MARK_LANG_C},
    {".sh", MARK_LANG_SHELL},
    {".bash", MARK_LANG_SHELL},
    {".yar", MARK_LANG_YARA},
    {".yara", MARK_LANG_YARA},
    {".rules", MARK_LANG_SURICATA},
    {".rule", MARK_LANG_SURICATA},
    {".md", MARK_LANG_PROSE},
    {".markdown", MARK_LANG_PROSE},
    {".txt", MARK_LANG_PROSE},
    {".rst", MARK_LANG_PROSE},
};

static const struct {
	const char *interp;
	enum mark_lang lang;
} shebangs[] = {
    {"python", MARK_LANG_PYTHON},
    {"pwsh", MARK_LANG_POWERSHELL},
    {"bash", MARK_LANG_SHELL},
    {"/sh", MARK_LANG_SHELL},
    {" sh", MARK_LANG_SHELL},
    {"dash", MARK_LANG_SHELL},
    {"node", MARK_LANG_C},
};

const char *
mark_lang_name(enum mark_lang lang)
{
	return (unsigned)lang < MARK_LANG_COUNT ? names[lang] : "unknown";
}

int
mark_lang_parse(const char *name, enum mark_lang *ret)
{
	for (unsigned i = 0; i < MARK_LANG_COUNT; i++) {
		if (strcmp(names[i], name) == 0) {
			*ret = (enum mark_lang)i;
			return 0;
		}
	}
	return EMB_EINVAL;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n < m)
		return false;
	for (size_t i = 0; i < m; i++) {
		char c = s[n - m + i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != suffix[i])
			return false;
	}
	return true;
}

enum mark_lang
mark_lang_detect(const char *name, const uint8_t *text, size_t len)
{
	if (len == 0 || memchr(text, 0, len) != NULL ||
	    !emb_utf8_valid(text, len))
		return MARK_LANG_BINARY;
	if (len > 2 && text[0] == '#' && text[1] == '!') {
		const uint8_t *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;
		for (size_t i = 0; i < EMB_ARRAY_LEN(shebangs); i++) {
			size_t m = strlen(shebangs[i].interp);
			if (n >= m &&
			    memmem(text, n, shebangs[i].interp, m) != NULL)
				return shebangs[i].lang;
		}
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(extensions); i++)
		if (name != NULL && ends_with(name, extensions[i].ext))
			return extensions[i].lang;
	return MARK_LANG_PROSE;
}

int
mark_lang_discover(enum mark_lang lang, struct mark_set *set)
{
	switch (lang) {
	case MARK_LANG_PYTHON:
		return mark_lang_python(set);
	case MARK_LANG_POWERSHELL:
		return mark_lang_powershell(set);
	case MARK_LANG_C:
		return mark_lang_c(set);
	case MARK_LANG_SHELL:
		return mark_lang_shell(set);
	case MARK_LANG_PROSE:
		return mark_lang_prose(set);
	case MARK_LANG_YARA:
		return mark_lang_yara(set);
	case MARK_LANG_SURICATA:
		return mark_lang_suricata(set);
	case MARK_LANG_BINARY:
	case MARK_LANG_COUNT:
		break;
	}
	return 0;
}
