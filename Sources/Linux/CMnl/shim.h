#include <libmnl/libmnl.h>
#include <netinet/in.h> /* before linux/if_bridge.h: libc-compat then skips linux/in6.h's duplicate types */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/veth.h>
#include <linux/neighbour.h>
