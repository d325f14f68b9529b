/*
 * Misuse test for the peer-table part of the overlaynet C ABI: every overlaynet_peer_*
 * function gets NULL pointers, invalid UTF-8, absurd lengths, undefined enum values,
 * too-small buffers and free/NULL sequences, and must answer with the documented result code
 * and a last-error message, never a crash or a leak; failed mutations must leave the table
 * and the delta batch unchanged. Run under valgrind by scripts/test.d/20-capi.sh.
 */

#include "check.h"

static const uint8_t invalid_utf8[] = {'e', 'p', 0xff, 0xfe};
#define INVALID_UTF8 invalid_utf8, sizeof invalid_utf8

/* moby's gogoproto encoding of {10.0.1.5/24, 02:42:0a:00:01:05, 192.168.1.20}. */
static const uint8_t golden[] = "\x0a\x0b" "10.0.1.5/24" "\x12\x11" "02:42:0a:00:01:05"
                                "\x1a\x0c" "192.168.1.20";
#define GOLDEN golden, sizeof golden - 1

static uint8_t buf[256];
static size_t n;

static overlaynet_peer_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  overlaynet_peer_addr addr;
  memset(&addr, 0, sizeof addr);
  addr.family = OVERLAYNET_FAMILY_IPV4;
  addr.octets[0] = a;
  addr.octets[1] = b;
  addr.octets[2] = c;
  addr.octets[3] = d;
  return addr;
}

static overlaynet_peer_record peer(uint8_t host, overlaynet_peer_addr vtep) {
  overlaynet_peer_record r;
  memset(&r, 0, sizeof r);
  r.endpoint_ip = v4(10, 0, 1, host);
  r.endpoint_prefix_len = 24;
  r.endpoint_mac[0] = 0x02;
  r.endpoint_mac[1] = 0x42;
  r.endpoint_mac[2] = 10;
  r.endpoint_mac[4] = 1;
  r.endpoint_mac[5] = host;
  r.tunnel_endpoint_ip = vtep;
  return r;
}

static size_t delta_count(const overlaynet_peer_deltas *d) {
  size_t count = 0;
  if (overlaynet_peer_deltas_get(d, NULL, 0, &count) != OK && count == 0) return 0;
  return count;
}

static size_t table_len(const overlaynet_peer_table *t) {
  size_t len = 0;
  EXPECT(overlaynet_peer_table_len(t, &len), OK);
  return len;
}

static void test_table_new(void) {
  overlaynet_peer_table *t = NULL;
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("192.168.1.10"), NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_new(NULL, 2, S("10.0.1.0/24"), S("192.168.1.10"), &t), NUL_PARAM);
  EXPECT(overlaynet_peer_table_new(INVALID_UTF8, S("10.0.1.0/24"), S("192.168.1.10"), &t), BAD_UTF8);
  EXPECT(overlaynet_peer_table_new(S("n1"), INVALID_UTF8, S("192.168.1.10"), &t), BAD_UTF8);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), golden, ABSURD, &t), BAD_LEN);
  EXPECT(overlaynet_peer_table_new(S("n1"), S(""), S("192.168.1.10"), &t), BAD_INPUT);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/33"), S("192.168.1.10"), &t), BAD_INPUT);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("0.0.0.0"), &t), BAD_INPUT);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("not-an-ip"), &t), BAD_INPUT);
  CHECK(t == NULL);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("192.168.1.10"), &t), OK);
  CHECK(t != NULL);
  overlaynet_peer_table_free(t);
  overlaynet_peer_table_free(NULL);
}

static void test_mutations(void) {
  overlaynet_peer_table *t = NULL;
  overlaynet_peer_deltas *d = NULL;
  uint32_t code = 0;
  EXPECT(overlaynet_peer_deltas_new(NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_deltas_new(&d), OK);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("192.168.1.10"), &t), OK);

  overlaynet_peer_record remote = peer(5, v4(192, 168, 1, 20));
  overlaynet_peer_record local = peer(2, v4(0, 0, 0, 0));
  local.tunnel_endpoint_ip.family = 0; /* not read for local endpoints */

  /* add_remote: every argument checked before anything changes. */
  EXPECT(overlaynet_peer_table_add_remote(NULL, S("ep1"), &remote, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remote(t, NULL, 3, &remote, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remote(t, INVALID_UTF8, &remote, d, &code), BAD_UTF8);
  EXPECT(overlaynet_peer_table_add_remote(t, (const uint8_t *)"e", ABSURD, &remote, d, &code), BAD_LEN);
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), NULL, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &remote, NULL, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &remote, d, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remote(t, S(""), &remote, d, &code), BAD_INPUT);
  overlaynet_peer_record bad = remote;
  bad.endpoint_ip.family = 7;
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &bad, d, &code), BAD_ENUM);
  bad = remote;
  bad.endpoint_prefix_len = 200;
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &bad, d, &code), BAD_INPUT);
  bad = remote;
  bad.tunnel_endpoint_ip.family = 0;
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &bad, d, &code), BAD_ENUM);
  bad = remote;
  bad.endpoint_mac[0] = 0x01; /* multicast */
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &bad, d, &code), BAD_INPUT);
  bad = remote;
  bad.tunnel_endpoint_ip = v4(192, 168, 1, 10); /* our own VTEP */
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &bad, d, &code), OVERLAYNET_RESULT_REFUSED);
  CHECK(table_len(t) == 0 && delta_count(d) == 0 && code == 0);

  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &remote, d, &code), OK);
  CHECK(code == OVERLAYNET_PEER_ADDED_INSERTED);
  CHECK(delta_count(d) == 3);
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep1"), &remote, d, &code), OK);
  CHECK(code == OVERLAYNET_PEER_ADDED_ALREADY_PRESENT && delta_count(d) == 0);

  /* The delta array: size query, too small, NULL out_n, NULL buf with a length, absurd. */
  EXPECT(overlaynet_peer_table_remove_remote(t, S("ep1"), &remote, d, &code), OK);
  CHECK(code == OVERLAYNET_PEER_REMOVED_REMOVED);
  overlaynet_peer_delta deltas[3];
  n = 0;
  EXPECT(overlaynet_peer_deltas_get(d, NULL, 0, &n), TOO_SMALL);
  CHECK(n == 3);
  n = 0;
  EXPECT(overlaynet_peer_deltas_get(d, deltas, 2, &n), TOO_SMALL);
  CHECK(n == 3);
  EXPECT(overlaynet_peer_deltas_get(d, deltas, 3, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_deltas_get(d, NULL, 3, &n), NUL_PARAM);
  EXPECT(overlaynet_peer_deltas_get(d, deltas, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_peer_deltas_get(NULL, deltas, 3, &n), NUL_PARAM);
  EXPECT(overlaynet_peer_deltas_get(d, deltas, 3, &n), OK);
  CHECK(n == 3 && deltas[0].kind == OVERLAYNET_PEER_DELTA_KIND_FDB_REMOVE &&
        deltas[1].kind == OVERLAYNET_PEER_DELTA_KIND_NEIGHBOUR_REMOVE &&
        deltas[2].kind == OVERLAYNET_PEER_DELTA_KIND_TUNNEL_DOWN);
  CHECK(deltas[2].vtep.family == OVERLAYNET_FAMILY_IPV4 && deltas[2].vtep.octets[3] == 20);
  CHECK(deltas[2].subnet.family == 0 && deltas[1].subnet_prefix_len == 24);
  EXPECT(overlaynet_peer_table_remove_remote(t, S("ep1"), &remote, d, &code), OK);
  CHECK(code == OVERLAYNET_PEER_REMOVED_NOT_FOUND && delta_count(d) == 0);

  EXPECT(overlaynet_peer_table_remove_remote(NULL, S("ep1"), &remote, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_remove_remote(t, INVALID_UTF8, &remote, d, &code), BAD_UTF8);
  EXPECT(overlaynet_peer_table_remove_remote(t, S("ep1"), NULL, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_remove_remote(t, S("ep1"), &remote, NULL, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_remove_remote(t, S("ep1"), &remote, d, NULL), NUL_PARAM);

  /* Local endpoints. */
  EXPECT(overlaynet_peer_table_add_local(NULL, S("me"), &local, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_local(t, INVALID_UTF8, &local, d, &code), BAD_UTF8);
  EXPECT(overlaynet_peer_table_add_local(t, S("me"), NULL, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_local(t, S("me"), &local, NULL, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_local(t, S("me"), &local, d, NULL), NUL_PARAM);
  bad = local;
  bad.endpoint_ip = v4(10, 9, 9, 9);
  EXPECT(overlaynet_peer_table_add_local(t, S("me"), &bad, d, &code), BAD_INPUT);
  EXPECT(overlaynet_peer_table_add_local(t, S("me"), &local, d, &code), OK);
  CHECK(code == OVERLAYNET_PEER_ADDED_INSERTED && delta_count(d) == 0 && table_len(t) == 1);
  EXPECT(overlaynet_peer_table_remove_local(NULL, S("me"), &local, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_remove_local(t, INVALID_UTF8, &local, d, &code), BAD_UTF8);
  EXPECT(overlaynet_peer_table_remove_local(t, S("me"), NULL, d, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_remove_local(t, S("me"), &local, NULL, &code), NUL_PARAM);
  EXPECT(overlaynet_peer_table_remove_local(t, S("me"), &local, d, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_remove_local(t, S("me"), &local, d, &code), OK);
  CHECK(code == OVERLAYNET_PEER_REMOVED_REMOVED && table_len(t) == 0);

  /* Gossip. */
  overlaynet_peer_event_outcome out;
  memset(&out, 0, sizeof out);
  EXPECT(overlaynet_peer_table_apply_gossip(NULL, S("ep9"), NULL, 0, GOLDEN, d, &out), NUL_PARAM);
  EXPECT(overlaynet_peer_table_apply_gossip(t, INVALID_UTF8, NULL, 0, GOLDEN, d, &out), BAD_UTF8);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), NULL, 5, GOLDEN, d, &out), NUL_PARAM);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), NULL, 0, golden, ABSURD, d, &out), BAD_LEN);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), NULL, 0, GOLDEN, NULL, &out), NUL_PARAM);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), NULL, 0, GOLDEN, d, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), NULL, 0, NULL, 0, d, &out), BAD_INPUT);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), NULL, 0, golden, 5, d, &out), BAD_INPUT);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), NULL, 0, S("\x0a\x02zz"), d, &out), BAD_INPUT);
  CHECK(table_len(t) == 0 && out.kind == 0 && out.added == 0);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), NULL, 0, GOLDEN, d, &out), OK);
  CHECK(out.kind == OVERLAYNET_PEER_EVENT_KIND_APPLIED && out.removed == 0 &&
        out.added == OVERLAYNET_PEER_ADDED_INSERTED && delta_count(d) == 3);
  EXPECT(overlaynet_peer_table_apply_gossip(t, S("ep9"), GOLDEN, GOLDEN, d, &out), OK);
  CHECK(out.kind == OVERLAYNET_PEER_EVENT_KIND_UNCHANGED && delta_count(d) == 0);

  /* Clear. */
  EXPECT(overlaynet_peer_table_clear(NULL, d), NUL_PARAM);
  EXPECT(overlaynet_peer_table_clear(t, NULL), NUL_PARAM);
  CHECK(table_len(t) == 1);
  EXPECT(overlaynet_peer_table_clear(t, d), OK);
  CHECK(table_len(t) == 0 && delta_count(d) == 3);
  EXPECT(overlaynet_peer_table_len(NULL, &n), NUL_PARAM);
  EXPECT(overlaynet_peer_table_len(t, NULL), NUL_PARAM);

  overlaynet_peer_table_free(t);
  overlaynet_peer_deltas_free(d);
  overlaynet_peer_deltas_free(NULL);
}

static void test_lookups(void) {
  overlaynet_peer_table *t = NULL;
  overlaynet_peer_deltas *d = NULL;
  overlaynet_peer_list *l = NULL;
  uint32_t code = 0;
  size_t count = 0;
  EXPECT(overlaynet_peer_deltas_new(&d), OK);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("192.168.1.10"), &t), OK);
  overlaynet_peer_record a = peer(5, v4(192, 168, 1, 20));
  overlaynet_peer_record b = peer(6, v4(192, 168, 1, 20));
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep-a"), &a, d, &code), OK);
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep-b"), &b, d, &code), OK);

  overlaynet_peer_addr ip = v4(10, 0, 1, 5), vtep = v4(192, 168, 1, 20), undefined = ip;
  undefined.family = 5;

  EXPECT(overlaynet_peer_table_entries(NULL, &l), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries(t, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries(t, &l), OK);
  EXPECT(overlaynet_peer_list_count(l, &count), OK);
  CHECK(count == 2);
  overlaynet_peer_list_free(l);

  EXPECT(overlaynet_peer_table_entries_at(NULL, &ip, &l), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_at(t, NULL, &l), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_at(t, &ip, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_at(t, &undefined, &l), BAD_ENUM);
  EXPECT(overlaynet_peer_table_entries_at(t, &ip, &l), OK);

  overlaynet_peer_entry entry;
  EXPECT(overlaynet_peer_list_count(NULL, &count), NUL_PARAM);
  EXPECT(overlaynet_peer_list_count(l, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_list_count(l, &count), OK);
  CHECK(count == 1);
  EXPECT(overlaynet_peer_list_get(NULL, 0, &entry), NUL_PARAM);
  EXPECT(overlaynet_peer_list_get(l, 0, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_list_get(l, 1, &entry), OUT_OF_RANGE);
  EXPECT(overlaynet_peer_list_get(l, ABSURD, &entry), OUT_OF_RANGE);
  EXPECT(overlaynet_peer_list_get(l, 0, &entry), OK);
  CHECK(entry.is_programmed && !entry.is_local && entry.peer.endpoint_mac[5] == 5 &&
        entry.subnet_prefix_len == 24 && entry.subnet.octets[3] == 0);
  {
    size_t full_ = 0;
    EXPECT(overlaynet_peer_list_eid(l, 0, buf, sizeof buf, &full_), OK);
    CHECK(full_ == 4 && memcmp(buf, "ep-a", 4) == 0);
    n = 0;
    EXPECT(overlaynet_peer_list_eid(l, 0, NULL, 0, &n), TOO_SMALL);
    CHECK(n == full_);
    n = 0;
    EXPECT(overlaynet_peer_list_eid(l, 0, buf, full_ - 1, &n), TOO_SMALL);
    CHECK(n == full_);
    EXPECT(overlaynet_peer_list_eid(l, 0, buf, sizeof buf, NULL), NUL_PARAM);
    EXPECT(overlaynet_peer_list_eid(l, 0, NULL, 8, &n), NUL_PARAM);
    EXPECT(overlaynet_peer_list_eid(l, 0, buf, ABSURD, &n), BAD_LEN);
    EXPECT(overlaynet_peer_list_eid(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
    EXPECT(overlaynet_peer_list_eid(l, 1, buf, sizeof buf, &n), OUT_OF_RANGE);
  }
  overlaynet_peer_list_free(l);
  overlaynet_peer_list_free(NULL);

  const uint8_t mac[6] = {0x02, 0x42, 10, 0, 1, 6};
  EXPECT(overlaynet_peer_table_entries_with_mac(NULL, mac, 6, &l), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_with_mac(t, NULL, 6, &l), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_with_mac(t, mac, 5, &l), BAD_LEN);
  EXPECT(overlaynet_peer_table_entries_with_mac(t, mac, ABSURD, &l), BAD_LEN);
  EXPECT(overlaynet_peer_table_entries_with_mac(t, mac, 6, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_with_mac(t, mac, 6, &l), OK);
  EXPECT(overlaynet_peer_list_count(l, &count), OK);
  CHECK(count == 1);
  overlaynet_peer_list_free(l);

  EXPECT(overlaynet_peer_table_entries_behind(NULL, &vtep, &l), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_behind(t, NULL, &l), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_behind(t, &vtep, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_entries_behind(t, &undefined, &l), BAD_ENUM);
  EXPECT(overlaynet_peer_table_entries_behind(t, &vtep, &l), OK);
  EXPECT(overlaynet_peer_list_count(l, &count), OK);
  CHECK(count == 2);
  overlaynet_peer_list_free(l);

  overlaynet_peer_vtep vteps[1];
  n = 0;
  EXPECT(overlaynet_peer_table_vteps(t, NULL, 0, &n), TOO_SMALL);
  CHECK(n == 1);
  EXPECT(overlaynet_peer_table_vteps(NULL, vteps, 1, &n), NUL_PARAM);
  EXPECT(overlaynet_peer_table_vteps(t, vteps, 1, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_vteps(t, NULL, 1, &n), NUL_PARAM);
  EXPECT(overlaynet_peer_table_vteps(t, vteps, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_peer_table_vteps(t, vteps, 1, &n), OK);
  CHECK(n == 1 && vteps[0].entries == 2 && vteps[0].programmed == 2 && vteps[0].vtep.octets[3] == 20);

  overlaynet_peer_table_free(t);
  overlaynet_peer_deltas_free(d);
}

static void test_record_codec(void) {
  overlaynet_peer_record r;
  memset(&r, 0, sizeof r);
  EXPECT(overlaynet_peer_record_decode(NULL, 4, &r), NUL_PARAM);
  EXPECT(overlaynet_peer_record_decode(GOLDEN, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_record_decode(golden, ABSURD, &r), BAD_LEN);
  EXPECT(overlaynet_peer_record_decode(NULL, 0, &r), BAD_INPUT);
  EXPECT(overlaynet_peer_record_decode(golden, 10, &r), BAD_INPUT);
  CHECK(r.endpoint_ip.family == 0);
  EXPECT(overlaynet_peer_record_decode(GOLDEN, &r), OK);
  CHECK(r.endpoint_ip.family == OVERLAYNET_FAMILY_IPV4 && r.endpoint_ip.octets[3] == 5 &&
        r.endpoint_prefix_len == 24 && r.endpoint_mac[5] == 5 && r.tunnel_endpoint_ip.octets[3] == 20);

  size_t full_ = 0;
  EXPECT(overlaynet_peer_record_encode(&r, buf, sizeof buf, &full_), OK);
  CHECK(full_ == sizeof golden - 1 && memcmp(buf, golden, full_) == 0);
  n = 0;
  EXPECT(overlaynet_peer_record_encode(&r, NULL, 0, &n), TOO_SMALL);
  CHECK(n == full_);
  EXPECT(overlaynet_peer_record_encode(&r, buf, full_ - 1, &n), TOO_SMALL);
  EXPECT(overlaynet_peer_record_encode(&r, buf, sizeof buf, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_record_encode(&r, NULL, 8, &n), NUL_PARAM);
  EXPECT(overlaynet_peer_record_encode(&r, buf, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_peer_record_encode(NULL, buf, sizeof buf, &n), NUL_PARAM);
  overlaynet_peer_record bad = r;
  bad.endpoint_ip.family = 0;
  EXPECT(overlaynet_peer_record_encode(&bad, buf, sizeof buf, &n), BAD_ENUM);
  bad = r;
  bad.endpoint_prefix_len = 33;
  EXPECT(overlaynet_peer_record_encode(&bad, buf, sizeof buf, &n), BAD_INPUT);
}

/* add_remotes: a bulk sync is all-or-nothing, and its deltas equal one-by-one adds. */
static void test_bulk(void) {
  overlaynet_peer_table *t = NULL;
  overlaynet_peer_table *one_by_one = NULL;
  overlaynet_peer_deltas *d = NULL;
  overlaynet_peer_deltas *d1 = NULL;
  size_t inserted = 99;
  uint32_t code = 0;
  EXPECT(overlaynet_peer_deltas_new(&d), OK);
  EXPECT(overlaynet_peer_deltas_new(&d1), OK);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("192.168.1.10"), &t), OK);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("192.168.1.10"), &one_by_one), OK);

  const char *eids = "ep1ep2ep3";
  size_t lens[3] = {3, 3, 3};
  overlaynet_peer_record peers[3] = {peer(5, v4(192, 168, 1, 20)), peer(6, v4(192, 168, 1, 21)),
                                     peer(5, v4(192, 168, 1, 20))};
  /* Every argument checked before anything changes. */
  EXPECT(overlaynet_peer_table_add_remotes(NULL, S("ep1ep2ep3"), lens, peers, 3, d, &inserted), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remotes(t, NULL, 9, lens, peers, 3, d, &inserted), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remotes(t, INVALID_UTF8, lens, peers, 3, d, &inserted), BAD_UTF8);
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), NULL, peers, 3, d, &inserted), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), lens, NULL, 3, d, &inserted), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), lens, peers, ABSURD, d, &inserted), BAD_LEN);
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), lens, peers, 3, NULL, &inserted), NUL_PARAM);
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), lens, peers, 3, d, NULL), NUL_PARAM);
  /* Ids that do not add up to eids: too long, or bytes left over. */
  size_t long_lens[3] = {3, 3, 4};
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), long_lens, peers, 3, d, &inserted), BAD_LEN);
  CHECK(strstr(last_error(), "record 2 of the batch") != NULL);
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), lens, peers, 2, d, &inserted), BAD_LEN);
  /* A bad record anywhere refuses the batch and names it; nothing changes. */
  overlaynet_peer_record bad[3] = {peers[0], peers[1], peers[2]};
  bad[1].tunnel_endpoint_ip = v4(192, 168, 1, 10); /* our own VTEP */
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), lens, bad, 3, d, &inserted), OVERLAYNET_RESULT_REFUSED);
  CHECK(strstr(last_error(), "record 1 of the batch") != NULL);
  bad[1] = peers[1];
  bad[2].endpoint_ip.family = 7;
  EXPECT(overlaynet_peer_table_add_remotes(t, S("ep1ep2ep3"), lens, bad, 3, d, &inserted), BAD_ENUM);
  CHECK(strstr(last_error(), "record 2 of the batch") != NULL);
  CHECK(table_len(t) == 0 && delta_count(d) == 0 && inserted == 99);
  /* An empty batch is fine and changes nothing. */
  EXPECT(overlaynet_peer_table_add_remotes(t, NULL, 0, NULL, NULL, 0, d, &inserted), OK);
  CHECK(inserted == 0 && table_len(t) == 0 && delta_count(d) == 0);

  /* The batch: ep3 repeats ep1's record under another id (a transient duplicate). */
  EXPECT(overlaynet_peer_table_add_remotes(t, (const uint8_t *)eids, 9, lens, peers, 3, d, &inserted), OK);
  CHECK(inserted == 3 && table_len(t) == 3);
  size_t total = 0;
  for (size_t i = 0; i < 3; i++) {
    EXPECT(overlaynet_peer_table_add_remote(one_by_one, (const uint8_t *)eids + 3 * i, 3, &peers[i], d1, &code), OK);
    total += delta_count(d1);
  }
  CHECK(delta_count(d) == total);
  /* ep1 and ep2 (behind two VTEPs): tunnel, neighbour, FDB each; ep3 waits as a duplicate. */
  CHECK(total == 6);
  overlaynet_peer_delta bulk_deltas[8];
  n = 0;
  EXPECT(overlaynet_peer_deltas_get(d, bulk_deltas, 8, &n), OK);
  CHECK(n == 6 && bulk_deltas[0].kind == OVERLAYNET_PEER_DELTA_KIND_TUNNEL_UP &&
        bulk_deltas[3].kind == OVERLAYNET_PEER_DELTA_KIND_TUNNEL_UP &&
        bulk_deltas[5].kind == OVERLAYNET_PEER_DELTA_KIND_FDB_ADD);
  /* Applying the same batch again inserts nothing and changes no kernel state. */
  EXPECT(overlaynet_peer_table_add_remotes(t, (const uint8_t *)eids, 9, lens, peers, 3, d, &inserted), OK);
  CHECK(inserted == 0 && delta_count(d) == 0 && table_len(t) == 3);

  overlaynet_peer_table_free(t);
  overlaynet_peer_table_free(one_by_one);
  overlaynet_peer_deltas_free(d);
  overlaynet_peer_deltas_free(d1);
}

static int same_addr(const overlaynet_peer_addr *x, const overlaynet_peer_addr *y) {
  return x->family == y->family && memcmp(x->octets, y->octets, sizeof x->octets) == 0;
}

/* Field by field: the structs' padding bytes are unspecified. */
static int same_entry(const overlaynet_peer_entry *x, const overlaynet_peer_entry *y) {
  return same_addr(&x->peer.endpoint_ip, &y->peer.endpoint_ip) &&
         x->peer.endpoint_prefix_len == y->peer.endpoint_prefix_len &&
         memcmp(x->peer.endpoint_mac, y->peer.endpoint_mac, 6) == 0 &&
         same_addr(&x->peer.tunnel_endpoint_ip, &y->peer.tunnel_endpoint_ip) &&
         same_addr(&x->subnet, &y->subnet) && x->subnet_prefix_len == y->subnet_prefix_len &&
         x->is_local == y->is_local && x->is_programmed == y->is_programmed;
}

/* lookup_many: arguments, output sizing, and each answer equal to entries_at's pick. */
static void test_lookup_many(void) {
  overlaynet_peer_table *t = NULL;
  overlaynet_peer_deltas *d = NULL;
  uint32_t code = 0;
  EXPECT(overlaynet_peer_deltas_new(&d), OK);
  EXPECT(overlaynet_peer_table_new(S("n1"), S("10.0.1.0/24"), S("192.168.1.10"), &t), OK);
  overlaynet_peer_record a = peer(5, v4(192, 168, 1, 20));
  overlaynet_peer_record dup = peer(5, v4(192, 168, 1, 21)); /* same IP, other host and MAC */
  dup.endpoint_mac[4] = 9;
  overlaynet_peer_record b = peer(6, v4(192, 168, 1, 20));
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep-a"), &a, d, &code), OK);
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep-dup"), &dup, d, &code), OK);
  EXPECT(overlaynet_peer_table_add_remote(t, S("ep-b"), &b, d, &code), OK);

  overlaynet_peer_addr ips[4] = {v4(10, 0, 1, 6), v4(10, 0, 1, 5), v4(10, 0, 1, 7), v4(10, 0, 1, 5)};
  overlaynet_peer_entry out[4];
  size_t n_out = 0;
  EXPECT(overlaynet_peer_table_lookup_many(NULL, ips, 4, out, 4, &n_out), NUL_PARAM);
  EXPECT(overlaynet_peer_table_lookup_many(t, NULL, 4, out, 4, &n_out), NUL_PARAM);
  EXPECT(overlaynet_peer_table_lookup_many(t, ips, ABSURD, out, 4, &n_out), BAD_LEN);
  EXPECT(overlaynet_peer_table_lookup_many(t, ips, 4, NULL, 4, &n_out), NUL_PARAM);
  EXPECT(overlaynet_peer_table_lookup_many(t, ips, 4, out, 4, NULL), NUL_PARAM);
  EXPECT(overlaynet_peer_table_lookup_many(t, ips, 4, out, 3, &n_out), TOO_SMALL);
  CHECK(n_out == 4);
  overlaynet_peer_addr bad[2] = {ips[0], ips[1]};
  bad[1].family = 5;
  EXPECT(overlaynet_peer_table_lookup_many(t, bad, 2, out, 4, &n_out), BAD_ENUM);
  CHECK(strstr(last_error(), "ips[1]") != NULL);
  EXPECT(overlaynet_peer_table_lookup_many(t, NULL, 0, NULL, 0, &n_out), OK);
  CHECK(n_out == 0);

  EXPECT(overlaynet_peer_table_lookup_many(t, ips, 4, out, 4, &n_out), OK);
  CHECK(n_out == 4);
  CHECK(out[2].peer.endpoint_ip.family == 0 && !out[2].is_programmed); /* 10.0.1.7: none */
  for (size_t i = 0; i < 4; i++) {
    if (i == 2) continue;
    overlaynet_peer_list *l = NULL;
    size_t count = 0;
    overlaynet_peer_entry first, pick;
    EXPECT(overlaynet_peer_table_entries_at(t, &ips[i], &l), OK);
    EXPECT(overlaynet_peer_list_count(l, &count), OK);
    EXPECT(overlaynet_peer_list_get(l, 0, &first), OK);
    pick = first;
    for (size_t j = 0; j < count; j++) {
      overlaynet_peer_entry e;
      EXPECT(overlaynet_peer_list_get(l, j, &e), OK);
      if (e.is_programmed) pick = e;
    }
    CHECK(same_entry(&out[i], &pick));
    overlaynet_peer_list_free(l);
  }
  /* 10.0.1.5 has two entries; the programmed one (ep-a, MAC ...:01:05) answers. */
  CHECK(out[1].is_programmed && out[1].peer.endpoint_mac[4] == 1 && out[1].peer.endpoint_mac[5] == 5);
  overlaynet_peer_table_free(t);
  overlaynet_peer_deltas_free(d);
}

int main(void) {
  test_table_new();
  test_mutations();
  test_bulk();
  test_lookups();
  test_lookup_many();
  test_record_codec();
  overlaynet_last_error_clear();
  printf("misuse_peer: %d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
