/*
 * lwipopts.h: how the lwip cell configures lwIP 2.1.3 (docs/network.md).
 * An OS with tasks (NO_SYS 0): tcpip_thread is a task, the API is netconn
 * (our own socket layer, kernel/net/sock, sits on it), the core is taken
 * by a mutex (LWIP_TCPIP_CORE_LOCKING) so API calls run in the caller's
 * task. IPv4 with DHCP, ARP, ICMP, UDP, TCP; no IPv6, no lwIP sockets.
 * Memory: lwIP's heap (pbufs' payloads, mem_malloc) comes from our heap
 * (MEM_LIBC_MALLOC -> kmalloc); its fixed pools (PCBs, netconns, segments)
 * are lwIP's own static arrays in the cell's data (MEMP_*).
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#define NO_SYS                      0
#define SYS_LIGHTWEIGHT_PROT        1
#define LWIP_TCPIP_CORE_LOCKING     1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0
#define LWIP_NETCONN                1
#define LWIP_SOCKET                 0
#define LWIP_NETIF_API              0
#define LWIP_NETCONN_FULLDUPLEX     0
#define LWIP_SO_RCVTIMEO            1
#define LWIP_SO_SNDTIMEO            1
#define LWIP_SO_RCVBUF              0
#define LWIP_TCP_KEEPALIVE          1

#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define LWIP_ICMP                   1
#define LWIP_RAW                    1
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   1
#define LWIP_DHCP_DOES_ACD_CHECK    0
#define DHCP_DOES_ARP_CHECK         0
#define LWIP_AUTOIP                 0
#define LWIP_IGMP                   0
#define LWIP_DNS                    0
#define LWIP_NETIF_LOOPBACK         1
#define LWIP_HAVE_LOOPIF            0
#define LWIP_LOOPBACK_MAX_PBUFS     64
#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_NETIF_LINK_CALLBACK    1
#define LWIP_NETIF_HOSTNAME         1
#define LWIP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define MIB2_STATS                  0
#define IP_REASSEMBLY               1
#define IP_FRAG                     1
#define SO_REUSE                    1

#define MEM_LIBC_MALLOC             1
#define MEMP_MEM_MALLOC             0
#define MEM_ALIGNMENT               8
#define mem_clib_malloc             lwip_port_malloc
#define mem_clib_free               lwip_port_free
#define mem_clib_calloc             lwip_port_calloc
#include <stddef.h>
void *lwip_port_malloc(size_t n);
void *lwip_port_calloc(size_t n, size_t m);
void lwip_port_free(void *p);

#define MEMP_NUM_PBUF               64
#define MEMP_NUM_RAW_PCB            8
#define MEMP_NUM_UDP_PCB            16
#define MEMP_NUM_TCP_PCB            32
#define MEMP_NUM_TCP_PCB_LISTEN     16
#define MEMP_NUM_TCP_SEG            256
#define MEMP_NUM_NETBUF             32
#define MEMP_NUM_NETCONN            48
#define MEMP_NUM_TCPIP_MSG_API      32
#define MEMP_NUM_TCPIP_MSG_INPKT    64
#define MEMP_NUM_SYS_TIMEOUT        (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)
#define PBUF_POOL_SIZE              128
#define PBUF_POOL_BUFSIZE           1536

#define TCP_MSS                     1460
#define TCP_WND                     (16 * TCP_MSS)
#define TCP_SND_BUF                 (16 * TCP_MSS)
#define TCP_SND_QUEUELEN            64
#define TCP_LISTEN_BACKLOG          1
#define TCP_DEFAULT_LISTEN_BACKLOG  8

#define TCPIP_THREAD_NAME           "tcpip"
#define TCPIP_THREAD_STACKSIZE      16384
#define TCPIP_THREAD_PRIO           0
#define TCPIP_MBOX_SIZE             128
#define DEFAULT_RAW_RECVMBOX_SIZE   16
#define DEFAULT_UDP_RECVMBOX_SIZE   32
#define DEFAULT_TCP_RECVMBOX_SIZE   64
#define DEFAULT_ACCEPTMBOX_SIZE     16
#define DEFAULT_THREAD_STACKSIZE    16384

#define LWIP_CHECKSUM_ON_COPY       1
#define LWIP_DEBUG                  0

#endif
