/*
 * preauth: the caller's key checked from the headers alone, so that the API listener can refuse
 * an unknown SecretId before it reads (and holds) a large request body. The full check (signature,
 * timestamp, policy) stays in the api request path.
 */
#ifndef YUN_HTTP_PREAUTH_H
#define YUN_HTTP_PREAUTH_H

/* 0 = go on (key known, or the store cannot tell: the request path answers); -1 = refuse with
 * *code and *message (the same Tencent codes the request path would give). */
int http_preauth_tc3(const char *authorization, const char **code, const char **message);

#endif
