/*
 * overlaynet quickstart in C: what examples/quickstart.rs does, through the C ABI.
 *
 * Builds an encrypted overlay network with two subnets, the ingress network and
 * docker_gwbridge, registers them in a cluster, allocates endpoint addresses, prints each
 * network (subnets, gateways, VNIs, MTU, Docker option map) and shows rejected inputs.
 *
 * Build and run from the repository root:
 *   make staticlib
 *   cc -std=c99 -Wall -Iinclude examples/c/quickstart.c target/release/liboverlaynet.a \
 *      -lm -ldl -lpthread -o quickstart && ./quickstart
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlaynet.h"

#define S(text) (const uint8_t *)(text), strlen(text)

/* Prints the failure and exits: the quickstart expects every call it does not mark as
 * "rejected" to succeed. */
static void check(overlaynet_result rc, const char *what) {
  if (rc == OVERLAYNET_RESULT_OK) return;
  char message[512];
  size_t n = 0;
  if (overlaynet_last_error_message((uint8_t *)message, sizeof message - 1, &n) != OVERLAYNET_RESULT_OK) n = 0;
  message[n] = '\0';
  fprintf(stderr, "%s failed: %s (%s)\n", what, message, overlaynet_result_description(rc));
  exit(1);
}

/* Shows an input the library must refuse, with its code and message. */
static void rejected(overlaynet_result rc, const char *what) {
  char message[512];
  size_t n = 0;
  if (rc == OVERLAYNET_RESULT_OK) {
    fprintf(stderr, "%s was accepted but must be rejected\n", what);
    exit(1);
  }
  check(overlaynet_last_error_message((uint8_t *)message, sizeof message - 1, &n), "last error");
  message[n] = '\0';
  printf("  rejected %-44s -> %u: %s\n", what, (unsigned)rc, message);
}

static void print_options(overlaynet_options *options) {
  size_t count = 0;
  check(overlaynet_options_count(options, &count), "options count");
  for (size_t i = 0; i < count; i++) {
    char key[256], value[256];
    size_t key_n = 0, value_n = 0;
    check(overlaynet_options_key_at(options, i, (uint8_t *)key, sizeof key, &key_n), "option key");
    check(overlaynet_options_value_at(options, i, (uint8_t *)value, sizeof value, &value_n), "option value");
    printf("    %.*s=%.*s\n", (int)key_n, key, (int)value_n, value);
  }
}

static void print_network(overlaynet_cluster *cluster, const char *name) {
  overlaynet_network_state *state = NULL;
  overlaynet_options *options = NULL;
  size_t subnets = 0;
  uint32_t mtu = 0, docker_mtu = 0;
  check(overlaynet_cluster_network(cluster, S(name), &state), "cluster network");
  check(overlaynet_network_state_subnet_count(state, &subnets), "subnet count");
  check(overlaynet_network_state_effective_mtu(state, OVERLAYNET_FAMILY_IPV4, &mtu), "effective mtu");
  check(overlaynet_network_state_docker_mtu(state, &docker_mtu), "docker mtu");
  printf("network %s: mtu %u (Docker would use %u)\n", name, mtu, docker_mtu);
  for (size_t i = 0; i < subnets; i++) {
    char subnet[64], gateway[64];
    size_t subnet_n = 0, gateway_n = 0;
    uint32_t vni = 0;
    check(overlaynet_network_state_subnet(state, i, (uint8_t *)subnet, sizeof subnet, &subnet_n), "subnet");
    check(overlaynet_network_state_gateway(state, i, (uint8_t *)gateway, sizeof gateway, &gateway_n), "gateway");
    check(overlaynet_network_state_vni(state, i, &vni), "vni");
    printf("  subnet %.*s gateway %.*s vni %u\n", (int)subnet_n, subnet, (int)gateway_n, gateway, vni);
  }
  check(overlaynet_network_state_driver_options(state, &options), "driver options");
  printf("  docker options:\n");
  print_options(options);
  overlaynet_options_free(options);
  overlaynet_network_state_free(state);
}

static void print_endpoint(const char *network, const overlaynet_endpoint *ep) {
  printf("  endpoint on %s: %u.%u.%u.%u/%u mac %02x:%02x:%02x:%02x:%02x:%02x vni %u\n", network,
         ep->address[0], ep->address[1], ep->address[2], ep->address[3], ep->prefix_len, ep->mac[0],
         ep->mac[1], ep->mac[2], ep->mac[3], ep->mac[4], ep->mac[5], ep->vni);
}

int main(void) {
  printf("overlaynet %s\n", overlaynet_version());

  overlaynet_cluster *cluster = NULL;
  check(overlaynet_cluster_new(NULL, &cluster), "cluster new");

  /* An encrypted (hardened profile) overlay with two subnets and explicit gateways. */
  overlaynet_overlay_builder *builder = NULL;
  overlaynet_ipam_config *front = NULL;
  overlaynet_overlay_network *app = NULL;
  check(overlaynet_overlay_builder_new(S("app"), &builder), "overlay builder");
  check(overlaynet_ipam_config_new(S("10.10.1.0/24"), &front), "ipam config");
  check(overlaynet_ipam_config_set_gateway(front, S("10.10.1.254")), "gateway");
  check(overlaynet_overlay_builder_add_ipam(builder, front), "add ipam");
  check(overlaynet_overlay_builder_add_subnet(builder, S("10.10.2.0/24")), "add subnet");
  check(overlaynet_overlay_builder_set_encryption(builder, OVERLAYNET_ENCRYPTION_HARDENED), "encryption");
  check(overlaynet_overlay_builder_set_attachable(builder, true), "attachable");
  check(overlaynet_overlay_builder_add_label(builder, S("team"), S("payments")), "label");
  check(overlaynet_overlay_builder_build(builder, &app), "build app");
  check(overlaynet_cluster_create_overlay(cluster, app), "create app");

  /* The ingress network, with its subnet from the default pool. */
  overlaynet_ingress_builder *ingress_builder = NULL;
  overlaynet_ingress_network *ingress = NULL;
  check(overlaynet_ingress_builder_new(&ingress_builder), "ingress builder");
  check(overlaynet_ingress_builder_build(ingress_builder, &ingress), "build ingress");
  check(overlaynet_cluster_create_ingress(cluster, ingress), "create ingress");

  /* docker_gwbridge with Docker's defaults, on the usual local subnet. */
  overlaynet_gwbridge_builder *gw_builder = NULL;
  overlaynet_gwbridge_network *gwbridge = NULL;
  overlaynet_options *gw_options = NULL;
  check(overlaynet_gwbridge_builder_new(&gw_builder), "gwbridge builder");
  check(overlaynet_gwbridge_builder_set_subnet(gw_builder, S("172.18.0.0/16")), "gwbridge subnet");
  check(overlaynet_gwbridge_builder_build(gw_builder, &gwbridge), "build gwbridge");

  /* Endpoints: the first three on app, one on ingress, one pinned address. */
  overlaynet_endpoint ep;
  for (int i = 0; i < 3; i++) {
    check(overlaynet_cluster_allocate_endpoint(cluster, S("app"), &ep), "allocate endpoint");
    print_endpoint("app", &ep);
  }
  check(overlaynet_cluster_allocate_endpoint(cluster, S("ingress"), &ep), "allocate ingress endpoint");
  print_endpoint("ingress", &ep);
  check(overlaynet_cluster_allocate_endpoint_address(cluster, S("app"), S("10.10.2.50"), &ep), "pinned endpoint");
  print_endpoint("app", &ep);

  print_network(cluster, "app");
  print_network(cluster, "ingress");

  char text[64];
  size_t n = 0;
  check(overlaynet_gwbridge_network_bridge_name(gwbridge, (uint8_t *)text, sizeof text, &n), "bridge name");
  printf("network docker_gwbridge: bridge %.*s", (int)n, text);
  check(overlaynet_gwbridge_network_subnet(gwbridge, (uint8_t *)text, sizeof text, &n), "gwbridge subnet");
  printf(" subnet %.*s\n  docker options:\n", (int)n, text);
  check(overlaynet_gwbridge_network_driver_options(gwbridge, &gw_options), "gwbridge options");
  print_options(gw_options);

  printf("rejected inputs:\n");
  overlaynet_overlay_builder *bad = NULL;
  overlaynet_overlay_network *bad_network = NULL;
  check(overlaynet_overlay_builder_new(S("overlapping"), &bad), "builder");
  check(overlaynet_overlay_builder_add_subnet(bad, S("10.10.1.0/25")), "subnet");
  check(overlaynet_overlay_builder_build(bad, &bad_network), "build overlapping");
  rejected(overlaynet_cluster_create_overlay(cluster, bad_network), "a subnet overlapping app");
  overlaynet_overlay_network_free(bad_network);
  overlaynet_overlay_builder_free(bad);

  overlaynet_ipam_config *outside = NULL;
  check(overlaynet_overlay_builder_new(S("gw-outside"), &bad), "builder");
  check(overlaynet_ipam_config_new(S("10.20.0.0/24"), &outside), "ipam config");
  check(overlaynet_ipam_config_set_gateway(outside, S("10.30.0.1")), "gateway");
  check(overlaynet_overlay_builder_add_ipam(bad, outside), "add ipam");
  bad_network = NULL;
  rejected(overlaynet_overlay_builder_build(bad, &bad_network), "a gateway outside its subnet");
  overlaynet_ipam_config_free(outside);
  overlaynet_overlay_builder_free(bad);

  overlaynet_ingress_network *second = NULL;
  check(overlaynet_ingress_builder_set_name(ingress_builder, S("ingress2")), "name");
  check(overlaynet_ingress_builder_build(ingress_builder, &second), "build second ingress");
  rejected(overlaynet_cluster_create_ingress(cluster, second), "a second ingress network");
  overlaynet_ingress_network_free(second);

  overlaynet_node_builder *node_builder = NULL;
  overlaynet_node_config *node = NULL;
  check(overlaynet_node_builder_new(S("win-1"), S("192.168.1.20"), &node_builder), "node builder");
  check(overlaynet_node_builder_set_os(node_builder, OVERLAYNET_NODE_OS_WINDOWS), "os");
  check(overlaynet_node_builder_build(node_builder, &node), "build node");
  rejected(overlaynet_cluster_add_node(cluster, node), "a Windows node with an encrypted network");

  overlaynet_options_free(gw_options);
  overlaynet_node_config_free(node);
  overlaynet_node_builder_free(node_builder);
  overlaynet_gwbridge_network_free(gwbridge);
  overlaynet_gwbridge_builder_free(gw_builder);
  overlaynet_ingress_network_free(ingress);
  overlaynet_ingress_builder_free(ingress_builder);
  overlaynet_overlay_network_free(app);
  overlaynet_ipam_config_free(front);
  overlaynet_overlay_builder_free(builder);
  overlaynet_cluster_free(cluster);
  return 0;
}
