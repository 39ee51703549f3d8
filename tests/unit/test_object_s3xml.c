/*
 * test_object_s3xml.c - request XML parsing and the response writer.
 * Bodies are shaped like the ones the S3 API reference shows for
 * DeleteObjects, CompleteMultipartUpload and PutObjectTagging (with the
 * xmlns the SDKs send); limits are S3's documented ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/s3xml.h"

#define NS " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static enum s3xml_status del(const char *xml, struct s3xml_delete *d)
{
    return s3xml_parse_delete(xml, strlen(xml), d);
}

static void test_delete(void **state)
{
    (void)state;
    struct s3xml_delete d;
    const char *ok = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete" NS "><Quiet>true</Quiet>"
                     "<Object><Key>sample1.txt</Key></Object>"
                     "<Object><Key> a &amp; b &lt;c&gt; "
                     "&#13;</Key><VersionId>UIORUnfndfiufdisojhr398493jfdkjFJjkndnqUifhnw89493jJFJ</VersionId></Object>"
                     "</Delete>";
    assert_int_equal(del(ok, &d), S3XML_OK);
    assert_true(d.quiet);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.objects[0].key, "sample1.txt");
    assert_null(d.objects[0].version_id);
    assert_string_equal(d.objects[1].key, " a & b <c> \r"); /* whitespace and escapes kept exactly */
    assert_string_equal(d.objects[1].version_id, "UIORUnfndfiufdisojhr398493jfdkjFJjkndnqUifhnw89493jJFJ");
    s3xml_delete_free(&d);

    const struct {
        const char *xml;
        enum s3xml_status want;
    } cases[] = {
        {"<Delete><Object><Key>k</Key></Object></Delete>", S3XML_OK},
        {"<Delete><Quiet>false</Quiet><Object><Key>k</Key></Object></Delete>", S3XML_OK},
        {"<Delete></Delete>", S3XML_MALFORMED},                  /* no objects */
        {"<Delete><Object></Object></Delete>", S3XML_MALFORMED}, /* no key */
        {"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>", S3XML_MALFORMED},
        {"<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>", S3XML_MALFORMED},
        {"<Delete><Object><Key>k</Key><Extra/></Object></Delete>", S3XML_MALFORMED},
        {"<Remove><Object><Key>k</Key></Object></Remove>", S3XML_MALFORMED},
        {"<Delete><Object><Key>k</Key></Object>", S3XML_MALFORMED}, /* not well-formed */
        {"<Delete><Object><Key><b>k</b></Key></Object></Delete>", S3XML_MALFORMED},
        {"", S3XML_MALFORMED},
        {"<!DOCTYPE d [<!ENTITY a \"aaaa\">]><Delete><Object><Key>&a;</Key></Object></Delete>", S3XML_MALFORMED},
        {"<a><b><c><d><e><f><g><h><i>x</i></h></g></f></e></d></c></b></a>", S3XML_MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(del(cases[i].xml, &d), cases[i].want);
        s3xml_delete_free(&d);
    }

    /* 1000 keys accepted, 1001 refused; a 1025-byte key is too long. */
    size_t cap = 1100 * 40 + 64;
    char *big = malloc(cap);
    size_t off = (size_t)sprintf(big, "<Delete>");
    for (int i = 0; i < 1000; i++)
        off += (size_t)sprintf(big + off, "<Object><Key>k%d</Key></Object>", i);
    strcpy(big + off, "</Delete>");
    assert_int_equal(del(big, &d), S3XML_OK);
    assert_int_equal(d.n, 1000);
    assert_string_equal(d.objects[999].key, "k999");
    s3xml_delete_free(&d);
    off += (size_t)sprintf(big + off, "<Object><Key>one-more</Key></Object>");
    strcpy(big + off, "</Delete>");
    assert_int_equal(del(big, &d), S3XML_TOO_MANY);
    char *longkey = malloc(1100 + 64);
    off = (size_t)sprintf(longkey, "<Delete><Object><Key>");
    memset(longkey + off, 'k', 1025);
    strcpy(longkey + off + 1025, "</Key></Object></Delete>");
    assert_int_equal(del(longkey, &d), S3XML_KEY_TOO_LONG);
    longkey[off + 1024] = '<';
    strcpy(longkey + off + 1024, "</Key></Object></Delete>");
    assert_int_equal(del(longkey, &d), S3XML_OK);
    s3xml_delete_free(&d);
    free(big);
    free(longkey);
}

static void test_complete(void **state)
{
    (void)state;
    struct s3xml_complete c;
    const char *ok = "<CompleteMultipartUpload" NS ">"
                     "<Part><PartNumber>1</PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag></Part>"
                     "<Part><ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag><PartNumber> 2 </PartNumber>"
                     "<ChecksumCRC32>EiniBA==</ChecksumCRC32></Part>"
                     "<Part><PartNumber>10000</PartNumber><ETag>\"acbd18db4cc2f85cedef654fccc4a4d8\"</ETag></Part>"
                     "</CompleteMultipartUpload>";
    assert_int_equal(s3xml_parse_complete(ok, strlen(ok), &c), S3XML_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.parts[0].number, 1);
    assert_string_equal(c.parts[0].etag, "\"a54357aff0632cce46d942af68356b38\"");
    assert_int_equal(c.parts[1].number, 2);
    assert_string_equal(c.parts[1].checksum_name, "ChecksumCRC32");
    assert_string_equal(c.parts[1].checksum_value, "EiniBA==");
    assert_int_equal(c.parts[2].number, 10000);
    s3xml_complete_free(&c);

    /* a part listed twice in a row: the later entry counts */
    const char *dup = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>"
                      "<Part><PartNumber>1</PartNumber><ETag>y</ETag></Part>"
                      "<Part><PartNumber>2</PartNumber><ETag>z</ETag></Part></CompleteMultipartUpload>";
    assert_int_equal(s3xml_parse_complete(dup, strlen(dup), &c), S3XML_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.parts[0].etag, "y");
    assert_string_equal(c.parts[1].etag, "z");
    s3xml_complete_free(&c);

    const struct {
        const char *xml;
        enum s3xml_status want;
    } cases[] = {
        {"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part>"
         "<Part><PartNumber>1</PartNumber><ETag>y</ETag></Part></CompleteMultipartUpload>",
         S3XML_INVALID_PART_ORDER},
        {"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>"
         "<Part><PartNumber>1</PartNumber><ETag>y</ETag></Part><Part><PartNumber>0</PartNumber><ETag>z</ETag></Part>"
         "</CompleteMultipartUpload>",
         S3XML_INVALID_PART_NUMBER},
        {"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
         S3XML_INVALID_PART_NUMBER},
        {"<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
         S3XML_INVALID_PART_NUMBER},
        {"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
         S3XML_INVALID_PART_NUMBER},
        {"<CompleteMultipartUpload><Part><PartNumber>1x</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
         S3XML_MALFORMED},
        {"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>", S3XML_MALFORMED},
        {"<CompleteMultipartUpload></CompleteMultipartUpload>", S3XML_MALFORMED},
        {"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>x</ETag></Part>"
         "</CompleteMultipartUpload>",
         S3XML_MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(s3xml_parse_complete(cases[i].xml, strlen(cases[i].xml), &c), cases[i].want);
        s3xml_complete_free(&c);
    }
    /* 10000 parts fine, and the body-size cap. */
    size_t cap = 10001 * 64 + 128;
    char *big = malloc(cap);
    size_t off = (size_t)sprintf(big, "<CompleteMultipartUpload>");
    for (int i = 1; i <= 10000; i++)
        off += (size_t)sprintf(big + off, "<Part><PartNumber>%d</PartNumber><ETag>e</ETag></Part>", i);
    strcpy(big + off, "</CompleteMultipartUpload>");
    assert_int_equal(s3xml_parse_complete(big, strlen(big), &c), S3XML_OK);
    assert_int_equal(c.n, 10000);
    s3xml_complete_free(&c);
    assert_int_equal(s3xml_parse_complete(big, S3XML_MAX_BODY + 1, &c), S3XML_TOO_LARGE);
    free(big);
}

static void test_tagging(void **state)
{
    (void)state;
    struct s3xml_tagging t;
    const char *ok = "<Tagging" NS "><TagSet><Tag><Key>tag1</Key><Value>val1</Value></Tag>"
                     "<Tag><Key>项目</Key><Value/></Tag></TagSet></Tagging>";
    assert_int_equal(s3xml_parse_tagging(ok, strlen(ok), S3XML_MAX_OBJECT_TAGS, &t), S3XML_OK);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.tags[0].key, "tag1");
    assert_string_equal(t.tags[0].value, "val1");
    assert_string_equal(t.tags[1].key, "项目");
    assert_string_equal(t.tags[1].value, "");
    s3xml_tagging_free(&t);
    const char *empty = "<Tagging><TagSet></TagSet></Tagging>";
    assert_int_equal(s3xml_parse_tagging(empty, strlen(empty), 10, &t), S3XML_OK);
    assert_int_equal(t.n, 0);
    s3xml_tagging_free(&t);

    char buf[8192];
    /* 11 tags: too many for an object, fine for a bucket. */
    size_t off = (size_t)sprintf(buf, "<Tagging><TagSet>");
    for (int i = 0; i < 11; i++)
        off += (size_t)sprintf(buf + off, "<Tag><Key>k%d</Key><Value>v</Value></Tag>", i);
    strcpy(buf + off, "</TagSet></Tagging>");
    assert_int_equal(s3xml_parse_tagging(buf, strlen(buf), S3XML_MAX_OBJECT_TAGS, &t), S3XML_TAG_TOO_MANY);
    assert_int_equal(s3xml_parse_tagging(buf, strlen(buf), S3XML_MAX_BUCKET_TAGS, &t), S3XML_OK);
    s3xml_tagging_free(&t);
    /* Key of 128 characters (multi-byte) fine, 129 not; value 257 not. */
    off = (size_t)sprintf(buf, "<Tagging><TagSet><Tag><Key>");
    for (int i = 0; i < 128; i++)
        off += (size_t)sprintf(buf + off, "键");
    strcpy(buf + off, "</Key><Value>v</Value></Tag></TagSet></Tagging>");
    assert_int_equal(s3xml_parse_tagging(buf, strlen(buf), 10, &t), S3XML_OK);
    s3xml_tagging_free(&t);
    off = (size_t)sprintf(buf, "<Tagging><TagSet><Tag><Key>");
    for (int i = 0; i < 129; i++)
        off += (size_t)sprintf(buf + off, "k");
    strcpy(buf + off, "</Key><Value>v</Value></Tag></TagSet></Tagging>");
    assert_int_equal(s3xml_parse_tagging(buf, strlen(buf), 10, &t), S3XML_TAG_KEY_INVALID);
    off = (size_t)sprintf(buf, "<Tagging><TagSet><Tag><Key>k</Key><Value>");
    memset(buf + off, 'v', 257);
    strcpy(buf + off + 257, "</Value></Tag></TagSet></Tagging>");
    assert_int_equal(s3xml_parse_tagging(buf, strlen(buf), 10, &t), S3XML_TAG_VALUE_INVALID);

    const struct {
        const char *xml;
        enum s3xml_status want;
    } cases[] = {
        {"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag>"
         "</TagSet></Tagging>",
         S3XML_TAG_DUPLICATE},
        {"<Tagging><TagSet><Tag><Key></Key><Value>1</Value></Tag></TagSet></Tagging>", S3XML_TAG_KEY_INVALID},
        {"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>", S3XML_MALFORMED},
        {"<Tagging></Tagging>", S3XML_MALFORMED},
        {"<Tagging><TagSet/><TagSet/></Tagging>", S3XML_MALFORMED},
        {"<Tagging><Tag><Key>a</Key><Value>1</Value></Tag></Tagging>", S3XML_MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(s3xml_parse_tagging(cases[i].xml, strlen(cases[i].xml), 10, &t), cases[i].want);
        s3xml_tagging_free(&t);
    }
}

static void test_writer(void **state)
{
    (void)state;
    struct xmlw w;
    size_t len;
    xmlw_init(&w, 4096);
    xmlw_open_ns(&w, "ListBucketResult", "http://s3.amazonaws.com/doc/2006-03-01/");
    xmlw_element(&w, "Name", "bucket");
    xmlw_open(&w, "Contents");
    xmlw_element(&w, "Key", "a&b<c>\"d'\r\x01");
    xmlw_element_u64(&w, "Size", 18446744073709551615ull);
    xmlw_element_bool(&w, "IsTruncated", false);
    const char *doc = xmlw_finish(&w, &len);
    assert_non_null(doc);
    assert_string_equal(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bucket</Name>"
                             "<Contents><Key>a&amp;b&lt;c&gt;&quot;d&apos;&#13;&#x1;</Key>"
                             "<Size>18446744073709551615</Size><IsTruncated>false</IsTruncated></Contents>"
                             "</ListBucketResult>");
    assert_int_equal(len, strlen(doc));
    xmlw_free(&w);

    /* Round trip: what the writer escapes, the parser reads back. */
    xmlw_init(&w, 4096);
    xmlw_open(&w, "Delete");
    xmlw_open(&w, "Object");
    xmlw_element(&w, "Key", " <&>\"' x\r\n");
    doc = xmlw_finish(&w, &len);
    struct s3xml_delete d;
    assert_int_equal(s3xml_parse_delete(doc, len, &d), S3XML_OK);
    assert_string_equal(d.objects[0].key, " <&>\"' x\r\n");
    s3xml_delete_free(&d);
    xmlw_free(&w);

    /* Output limit. */
    xmlw_init(&w, 64);
    xmlw_element(&w, "K", "0123456789012345678901234567890123456789");
    assert_null(xmlw_finish(&w, &len));
    xmlw_free(&w);

    doc = s3xml_error_document(&w, "NoSuchKey", "The specified key does not exist.", "/b/k", "id-1", &len);
    assert_string_equal(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                             "<Message>The specified key does not exist.</Message><Resource>/b/k</Resource>"
                             "<RequestId>id-1</RequestId></Error>");
    xmlw_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_tagging),
        cmocka_unit_test(test_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
