/*
 * fuzz_object_xml.c - libFuzzer target for the S3 request XML parsers.
 * Byte 0 picks DeleteObjects / CompleteMultipartUpload / Tagging. Keys of a
 * parsed DeleteObjects body are written back with the XML writer and parsed
 * again: they must survive the round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object/s3xml.h"

static void roundtrip(const struct s3xml_delete *d)
{
    struct xmlw w;
    size_t len;
    xmlw_init(&w, 8u * 1024 * 1024);
    xmlw_open(&w, "Delete");
    for (size_t i = 0; i < d->n; i++) {
        xmlw_open(&w, "Object");
        xmlw_element(&w, "Key", d->objects[i].key);
        if (d->objects[i].version_id)
            xmlw_element(&w, "VersionId", d->objects[i].version_id);
        xmlw_close(&w);
    }
    const char *doc = xmlw_finish(&w, &len);
    if (!doc)
        abort();
    struct s3xml_delete again;
    enum s3xml_status st = s3xml_parse_delete(doc, len, &again);
    /* Control characters other than \t\n\r cannot round-trip through XML 1.0. */
    if (st == S3XML_OK) {
        if (again.n != d->n)
            abort();
        for (size_t i = 0; i < d->n; i++)
            if (strcmp(again.objects[i].key, d->objects[i].key) != 0)
                abort();
        s3xml_delete_free(&again);
    }
    xmlw_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0: {
        struct s3xml_delete d;
        if (s3xml_parse_delete(body, len, &d) == S3XML_OK) {
            if (d.n == 0 || d.n > S3XML_MAX_DELETE_KEYS)
                abort();
            roundtrip(&d);
            s3xml_delete_free(&d);
        }
        break;
    }
    case 1: {
        struct s3xml_complete c;
        if (s3xml_parse_complete(body, len, &c) == S3XML_OK) {
            for (size_t i = 1; i < c.n; i++)
                if (c.parts[i].number <= c.parts[i - 1].number)
                    abort();
            s3xml_complete_free(&c);
        }
        break;
    }
    default: {
        struct s3xml_tagging t;
        if (s3xml_parse_tagging(body, len, S3XML_MAX_OBJECT_TAGS, &t) == S3XML_OK) {
            if (t.n > S3XML_MAX_OBJECT_TAGS)
                abort();
            s3xml_tagging_free(&t);
        }
        break;
    }
    }
    return 0;
}
