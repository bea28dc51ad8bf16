/* SPDX-License-Identifier: MIT */
/*
 * excert completion: shell completion scripts for bash, zsh and fish,
 * generated from the command table and the option tables (cmd/cmd_help.c),
 * so a new command or option completes as soon as it exists; and the names
 * of excert.yaml (certificates, servers, load balancers) the scripts ask
 * for while completing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_completion.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "state/config.h"
#include "state/model.h"

/* What follows an option or a positional: a kind the scripts switch on. */
#define K_NONE ""
#define K_ANY "any"
#define K_FILE "file"
#define K_DIR "dir"
#define K_CMDS "commands"
#define K_CERTS "names:certificates"
#define K_SERVERS "names:servers"
#define K_LBS "names:load-balancers"
#define K_FORMATS "words:text json markdown"
#define K_KEYS "words:ec256 rsa2048"
#define K_TSIG                                                             \
	"words:hmac-sha256 hmac-sha1 hmac-sha224 hmac-sha384 hmac-sha512 " \
	"hmac-md5"

/* The value an option takes, from its long name and its value's name. */
static const char *opt_kind(const struct xc_opt *o)
{
	static const struct {
		const char *lname; /* NULL: any */
		const char *argname;
		const char *kind;
	} rules[] = {
	        {"format", NULL, K_FORMATS},
	        {"key", "TYPE", K_KEYS},
	        {"tsig-algorithm", NULL, K_TSIG},
	        {"target", NULL, K_CERTS},
	        {"server", NULL, K_SERVERS},
	        {"as", NULL, K_SERVERS},
	        {NULL, "FILE", K_FILE},
	        {NULL, "PLAN", K_FILE},
	        {NULL, "DIR", K_DIR},
	};
	size_t i;

	if (o->kind != XC_OPT_VALUE)
		return K_NONE;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].lname && strcmp(rules[i].lname, o->lname) != 0)
			continue;
		if (rules[i].argname &&
		    (!o->argname || strcmp(rules[i].argname, o->argname) != 0))
			continue;
		return rules[i].kind;
	}
	return K_ANY;
}

/* What a command's positionals are (after its subcommand, if any). */
static const char *pos_kind(const char *cmd)
{
	static const char *const rules[][2] = {
	        {"help", K_CMDS}, {"validate", K_FILE}, {"apply", K_FILE},
	        {"show", K_FILE}, {"init", K_DIR},      {"lab", K_DIR},
	        {"lb", K_LBS},
	};
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i][0], cmd) == 0)
			return rules[i][1];
	return K_NONE;
}

/* Global options that may not follow the command. */
static int before_command_only(const struct xc_opt *o)
{
	return o->id == XC_G_DIR || o->id == XC_G_VERSION;
}

/*
 * The subcommands of a command, from its usage ("init|agent|serve DIR",
 * "status | update NAME ..."): the first word of each '|'-separated part,
 * when every part starts with a lower-case word.  Writes them space-
 * separated into buf; returns 0 when the command has none.
 */
static int subcommands(const struct xc_cmd *c, char *buf, size_t size)
{
	const char *p = c->args;
	size_t len = 0;
	int n = 0;

	buf[0] = '\0';
	if (!strchr(p, '|'))
		return 0;
	for (;;) {
		size_t w;

		while (*p == ' ')
			p++;
		w = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (w == 0 || (p[w] != ' ' && p[w] != '|' && p[w] != '\0'))
			return 0;
		if (len + w + 2 > size)
			return 0;
		if (len)
			buf[len++] = ' ';
		memcpy(buf + len, p, w);
		len += w;
		buf[len] = '\0';
		n++;
		p = strchr(p, '|');
		if (!p)
			break;
		p++;
	}
	return n;
}

/* Prints s for a shell single-quoted string. */
static void put_squoted(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", fp);
		else
			fputc(*s, fp);
	}
}

/* The functions bash and zsh share: tables as case statements. */
static void emit_tables(FILE *fp)
{
	const struct xc_cmd *c;
	const struct xc_opt *o;
	char subs[256];

	fputs("_excert_commands='", fp);
	for (c = xc_commands; c->name; c++)
		fprintf(fp, "%s%s", c == xc_commands ? "" : " ", c->name);
	fputs("'\n\n", fp);

	/* _excert_opts CMD: the options after CMD ("" before any command). */
	fputs("_excert_opts() {\n    case $1 in\n", fp);
	for (c = xc_commands; c->name; c++) {
		fprintf(fp, "    %s) echo '", c->name);
		for (o = c->opts; o && o->id; o++) {
			if (o->sname)
				fprintf(fp, "-%c ", o->sname);
			fprintf(fp, "--%s ", o->lname);
		}
		for (o = xc_global_opts; o->id; o++) {
			if (before_command_only(o))
				continue;
			if (o->sname)
				fprintf(fp, "-%c ", o->sname);
			fprintf(fp, "--%s ", o->lname);
		}
		fputs("' ;;\n", fp);
	}
	fputs("    *) echo '", fp);
	for (o = xc_global_opts; o->id; o++) {
		if (o->sname)
			fprintf(fp, "-%c ", o->sname);
		fprintf(fp, "--%s ", o->lname);
	}
	fputs("' ;;\n    esac\n}\n\n", fp);

	/* _excert_optdesc CMD: "--name:help" lines, for zsh. */
	fputs("_excert_optdesc() {\n    case $1 in\n", fp);
	for (c = xc_commands; c->name; c++) {
		fprintf(fp, "    %s) printf '%%s\\n'", c->name);
		for (o = c->opts; o && o->id; o++) {
			fprintf(fp, " '--%s:", o->lname);
			put_squoted(fp, o->help);
			fputc('\'', fp);
		}
		for (o = xc_global_opts; o->id; o++) {
			if (before_command_only(o))
				continue;
			fprintf(fp, " '--%s:", o->lname);
			put_squoted(fp, o->help);
			fputc('\'', fp);
		}
		fputs(" ;;\n", fp);
	}
	fputs("    *) printf '%s\\n'", fp);
	for (o = xc_global_opts; o->id; o++) {
		fprintf(fp, " '--%s:", o->lname);
		put_squoted(fp, o->help);
		fputc('\'', fp);
	}
	fputs(" ;;\n    esac\n}\n\n", fp);

	/* _excert_cmddesc: "name:summary" lines, for zsh. */
	fputs("_excert_cmddesc() {\n    printf '%s\\n'", fp);
	for (c = xc_commands; c->name; c++) {
		fprintf(fp, " '%s:", c->name);
		put_squoted(fp, c->summary);
		fputc('\'', fp);
	}
	fputs("\n}\n\n", fp);

	/* _excert_valopt CMD OPTION: what OPTION takes, "" for a flag or an
	 * unknown option.  The command's own options first. */
	fputs("_excert_valopt() {\n    case \"$1 $2\" in\n", fp);
	for (c = xc_commands; c->name; c++)
		for (o = c->opts; o && o->id; o++) {
			if (o->kind != XC_OPT_VALUE)
				continue;
			fprintf(fp, "    \"%s --%s\"", c->name, o->lname);
			if (o->sname)
				fprintf(fp, "|\"%s -%c\"", c->name, o->sname);
			fprintf(fp, ") echo '%s' ;;\n", opt_kind(o));
		}
	for (o = xc_global_opts; o->id; o++) {
		if (o->kind != XC_OPT_VALUE)
			continue;
		fprintf(fp, "    *\" --%s\"", o->lname);
		if (o->sname)
			fprintf(fp, "|*\" -%c\"", o->sname);
		fprintf(fp, ") echo '%s' ;;\n", opt_kind(o));
	}
	fputs("    esac\n}\n\n", fp);

	/* _excert_subs CMD: its subcommands, if any. */
	fputs("_excert_subs() {\n    case $1 in\n", fp);
	for (c = xc_commands; c->name; c++)
		if (subcommands(c, subs, sizeof(subs)))
			fprintf(fp, "    %s) echo '%s' ;;\n", c->name, subs);
	fputs("    esac\n}\n\n", fp);

	/* _excert_pos CMD SUB: what its positionals are. */
	fputs("_excert_pos() {\n    case \"$1 $2\" in\n", fp);
	fputs("    \"lb status\"|\"acme \"*) ;;\n", fp);
	for (c = xc_commands; c->name; c++)
		if (*pos_kind(c->name))
			fprintf(fp, "    \"%s \"*) echo '%s' ;;\n", c->name,
			        pos_kind(c->name));
	fputs("    esac\n}\n\n", fp);
}

/*
 * The walk over the words typed so far, the same in bash and zsh (both
 * read it as written): sets cmd, sub, pre (the -C, -c and --ref given, for
 * excert completion names) and, when the word being completed is an
 * option's value, kind.  W is the array of words, FIRST the index of the
 * word after the program's name, CUR the index being completed.
 */
static void emit_walk(FILE *fp, const char *w, int first, const char *cur)
{
	fprintf(fp,
	        "    local w kind= cmd= sub= i\n"
	        "    pre=()\n"
	        "    for ((i = %d; i < %s; i++)); do\n"
	        "        w=${%s[i]}\n"
	        "        case $w in\n"
	        "        --*=*)\n"
	        "            case $w in\n"
	        "            --config=*|--ref=*) pre+=(\"$w\") ;;\n"
	        "            --directory=*) [[ -n $cmd ]] || pre+=(\"$w\") ;;\n"
	        "            esac ;;\n"
	        "        -?*)\n"
	        "            kind=$(_excert_valopt \"$cmd\" \"$w\")\n"
	        "            [[ -n $kind ]] || continue\n"
	        "            case $w in\n"
	        "            -c|--config|--ref) pre+=(\"$w\" \"${%s[i+1]}\") ;;\n"
	        "            -C|--directory) [[ -n $cmd ]] || pre+=(\"$w\" "
	        "\"${%s[i+1]}\") ;;\n"
	        "            esac\n"
	        "            kind=\n"
	        "            i=$((i + 1))\n"
	        "            [[ ${%s[i]} != = ]] || i=$((i + 1)) ;;\n"
	        "        =) ;;\n"
	        "        *)\n"
	        "            if [[ -z $cmd ]]; then\n"
	        "                cmd=$w\n"
	        "            elif [[ -z $sub && -n $(_excert_subs \"$cmd\") "
	        "]]; then\n"
	        "                sub=$w\n"
	        "            fi ;;\n"
	        "        esac\n"
	        "    done\n"
	        "    w=${%s[%s - 1]}\n"
	        "    [[ $w != = || %s -le %d ]] || w=${%s[%s - 2]}\n"
	        "    case $w in\n"
	        "    -?*) kind=$(_excert_valopt \"$cmd\" \"${w%%%%=*}\") ;;\n"
	        "    esac\n",
	        first, cur, w, w, w, w, w, cur, cur, first + 1, w, cur);
}

static void emit_bash(FILE *fp)
{
	fputs("# bash completion for excert; generated by `excert completion "
	      "bash`\n# from excert's command and option tables.\n\n",
	      fp);
	emit_tables(fp);
	fputs("_excert_values() {\n"
	      "    local cur=$2\n"
	      "    case $1 in\n"
	      "    file) compopt -o filenames 2>/dev/null\n"
	      "        COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	      "    dir) compopt -o filenames 2>/dev/null\n"
	      "        COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
	      "    commands) COMPREPLY=($(compgen -W \"$_excert_commands\" -- "
	      "\"$cur\")) ;;\n"
	      "    words:*) COMPREPLY=($(compgen -W \"${1#words:}\" -- \"$cur\")) "
	      ";;\n"
	      "    names:*) COMPREPLY=($(compgen -W \"$(\"$3\" \"${pre[@]}\" "
	      "completion names \"${1#names:}\" 2>/dev/null)\" -- \"$cur\")) ;;\n"
	      "    *) COMPREPLY=() ;;\n"
	      "    esac\n"
	      "}\n\n"
	      "_excert() {\n"
	      "    local cur=${COMP_WORDS[COMP_CWORD]}\n"
	      "    local -a pre\n"
	      "    COMPREPLY=()\n",
	      fp);
	emit_walk(fp, "COMP_WORDS", 1, "COMP_CWORD");
	fputs("    [[ $cur != = ]] || cur=\n"
	      "    if [[ -n $kind ]]; then\n"
	      "        _excert_values \"$kind\" \"$cur\" \"${COMP_WORDS[0]}\"\n"
	      "    elif [[ $cur == -* ]]; then\n"
	      "        COMPREPLY=($(compgen -W \"$(_excert_opts \"$cmd\")\" -- "
	      "\"$cur\"))\n"
	      "    elif [[ -z $cmd ]]; then\n"
	      "        _excert_values commands \"$cur\"\n"
	      "    elif [[ -z $sub && -n $(_excert_subs \"$cmd\") ]]; then\n"
	      "        COMPREPLY=($(compgen -W \"$(_excert_subs \"$cmd\")\" -- "
	      "\"$cur\"))\n"
	      "    else\n"
	      "        _excert_values \"$(_excert_pos \"$cmd\" \"$sub\")\" "
	      "\"$cur\" \"${COMP_WORDS[0]}\"\n"
	      "    fi\n"
	      "}\n\n"
	      "complete -F _excert excert\n",
	      fp);
}

static void emit_zsh(FILE *fp)
{
	fputs("#compdef excert\n"
	      "# zsh completion for excert; generated by `excert completion "
	      "zsh`\n# from excert's command and option tables.\n\n",
	      fp);
	emit_tables(fp);
	fputs("_excert_values() {\n"
	      "    local -a v\n"
	      "    case $1 in\n"
	      "    file) _files ;;\n"
	      "    dir) _files -/ ;;\n"
	      "    commands) v=(${(f)\"$(_excert_cmddesc)\"})\n"
	      "        _describe -t commands command v ;;\n"
	      "    words:*) v=(${=1#words:}); compadd -a v ;;\n"
	      "    names:*) v=(${(f)\"$($2 \"${pre[@]}\" completion names "
	      "${1#names:} 2>/dev/null)\"})\n"
	      "        compadd -a v ;;\n"
	      "    esac\n"
	      "}\n\n"
	      "_excert() {\n"
	      "    local cur=${words[CURRENT]}\n"
	      "    local -a pre opts subs\n",
	      fp);
	emit_walk(fp, "words", 2, "CURRENT");
	fputs("    if [[ -n $kind ]]; then\n"
	      "        _excert_values \"$kind\" \"${words[1]}\"\n"
	      "    elif [[ $cur == -* ]]; then\n"
	      "        opts=(${(f)\"$(_excert_optdesc \"$cmd\")\"})\n"
	      "        _describe -t options option opts\n"
	      "    elif [[ -z $cmd ]]; then\n"
	      "        _excert_values commands\n"
	      "    elif [[ -z $sub && -n $(_excert_subs \"$cmd\") ]]; then\n"
	      "        subs=(${=$(_excert_subs \"$cmd\")})\n"
	      "        compadd -a subs\n"
	      "    else\n"
	      "        _excert_values \"$(_excert_pos \"$cmd\" \"$sub\")\" "
	      "\"${words[1]}\"\n"
	      "    fi\n"
	      "}\n\n"
	      "if [[ $funcstack[1] == _excert ]]; then\n"
	      "    _excert \"$@\"\n"
	      "else\n"
	      "    compdef _excert excert\n"
	      "fi\n",
	      fp);
}

/* Prints what fish's -a/-F/-x need for a kind. */
static void fish_kind(FILE *fp, const char *kind)
{
	if (strcmp(kind, K_FILE) == 0)
		fputs(" -r -F", fp);
	else if (strcmp(kind, K_DIR) == 0)
		fputs(" -x -a '(__fish_complete_directories)'", fp);
	else if (strncmp(kind, "words:", 6) == 0)
		fprintf(fp, " -x -a '%s'", kind + 6);
	else if (strncmp(kind, "names:", 6) == 0)
		fprintf(fp, " -x -a '(excert completion names %s 2>/dev/null)'",
		        kind + 6);
	else if (strcmp(kind, K_CMDS) == 0)
		fputs(" -x -a '(__fish_excert_commands)'", fp);
	else if (*kind)
		fputs(" -x", fp);
}

static void fish_opt(FILE *fp, const char *cond, const struct xc_opt *o)
{
	fprintf(fp, "complete -c excert -n '%s'", cond);
	if (o->sname)
		fprintf(fp, " -s %c", o->sname);
	fprintf(fp, " -l %s", o->lname);
	fish_kind(fp, opt_kind(o));
	fputs(" -d '", fp);
	put_squoted(fp, o->help);
	fputs("'\n", fp);
}

static void emit_fish(FILE *fp)
{
	const struct xc_cmd *c;
	const struct xc_opt *o;
	char subs[256];
	char cond[300];

	fputs("# fish completion for excert; generated by `excert completion "
	      "fish`\n# from excert's command and option tables.\n\n"
	      "complete -c excert -f\n"
	      "function __fish_excert_commands\n",
	      fp);
	for (c = xc_commands; c->name; c++) {
		fprintf(fp, "    printf '%%s\\t%%s\\n' %s '", c->name);
		put_squoted(fp, c->summary);
		fputs("'\n", fp);
	}
	fputs("end\n", fp);
	fputs("complete -c excert -n __fish_use_subcommand -a "
	      "'(__fish_excert_commands)'\n",
	      fp);
	for (o = xc_global_opts; o->id; o++)
		fish_opt(fp,
		         before_command_only(o) ? "__fish_use_subcommand"
		                                : "true",
		         o);
	for (c = xc_commands; c->name; c++) {
		const char *pk = pos_kind(c->name);

		snprintf(cond, sizeof(cond), "__fish_seen_subcommand_from %s",
		         c->name);
		for (o = c->opts; o && o->id; o++)
			fish_opt(fp, cond, o);
		if (subcommands(c, subs, sizeof(subs)))
			fprintf(fp,
			        "complete -c excert -n '%s; and not "
			        "__fish_seen_subcommand_from %s' -a '%s'\n",
			        cond, subs, subs);
		if (*pk) {
			fprintf(fp, "complete -c excert -n '%s'", cond);
			if (strcmp(pk, K_FILE) == 0)
				fputs(" -F", fp);
			else
				fish_kind(fp, pk);
			fputc('\n', fp);
		}
	}
}

/* Prints the names of one kind from excert.yaml, one a line; names that a
 * shell would split or a terminal would act on are left out. */
static int print_names(struct xc_ctx *ctx, const char *what)
{
	struct xc_config *cfg;
	char *base;
	size_t i;
	size_t n;
	int rc;

	if (strcmp(what, "certificates") != 0 && strcmp(what, "servers") != 0 &&
	    strcmp(what, "load-balancers") != 0) {
		xc_out_usage("completion names: certificates, servers or "
		             "load-balancers, not '%s'",
		             what);
		return XC_EXIT_USAGE;
	}
	rc = xc_cmd_load_config(ctx, &cfg, &base, NULL);
	if (rc != XC_EXIT_OK)
		return rc;
	n = what[0] == 'c'   ? cfg->certificates.n
	    : what[0] == 's' ? cfg->servers.n
	                     : cfg->load_balancers.n;
	for (i = 0; i < n; i++) {
		const char *name = what[0] == 'c'   ? XC_CERTS(cfg)[i].name.v
		                   : what[0] == 's' ? XC_SERVERS(cfg)[i].name.v
		                                    : XC_LBS(cfg)[i].name.v;
		const unsigned char *p;

		if (!name)
			continue;
		for (p = (const unsigned char *)name; *p; p++)
			if (*p <= ' ' || *p == 0x7f || *p == '\'' ||
			    *p == '"' || *p == '\\')
				break;
		if (!*p)
			printf("%s\n", name);
	}
	xc_config_free(cfg);
	free(base);
	return XC_EXIT_OK;
}

int xc_cmd_completion(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                      char **argv)
{
	char **pos = calloc((size_t)argc, sizeof(*pos));
	int n;
	int rc = XC_EXIT_OK;

	if (!pos)
		return XC_EXIT_ERROR;
	n = xc_cmd_parse(ctx, self, argc, argv, pos, NULL, NULL);
	if (n < 0) {
		free(pos);
		return n == -2 ? XC_EXIT_OK : XC_EXIT_USAGE;
	}
	if (n == 1 && strcmp(pos[0], "bash") == 0)
		emit_bash(stdout);
	else if (n == 1 && strcmp(pos[0], "zsh") == 0)
		emit_zsh(stdout);
	else if (n == 1 && strcmp(pos[0], "fish") == 0)
		emit_fish(stdout);
	else if (n == 2 && strcmp(pos[0], "names") == 0)
		rc = print_names(ctx, pos[1]);
	else {
		xc_out_usage("completion: bash, zsh or fish (or names "
		             "certificates|servers|load-balancers)");
		rc = XC_EXIT_USAGE;
	}
	free(pos);
	return rc;
}
