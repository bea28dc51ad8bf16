/* SPDX-License-Identifier: MIT */
/*
 * The schema tables written out for people and editors: a JSON Schema
 * (draft-07, which YAML editors understand) and the reference tables of
 * docs/config.md.  Tests compare both with the files in docs/.
 */
#ifndef XC_STATE_SCHEMA_EXPORT_H
#define XC_STATE_SCHEMA_EXPORT_H

/* The JSON Schema of excert.yaml, indented, newline-terminated; caller
 * frees. */
char *xc_schema_json(void);

/* The reference section of docs/config.md (Markdown); caller frees. */
char *xc_schema_markdown(void);

#endif
