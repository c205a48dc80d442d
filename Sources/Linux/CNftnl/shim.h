// glibc's socket headers first, so the <linux/*> headers below skip the definitions glibc already made
// (linux/libc-compat.h) and Swift sees one in_addr/in6_addr.
#include <sys/socket.h>
#include <netinet/in.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/batch.h>
#include <libnftnl/gen.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
