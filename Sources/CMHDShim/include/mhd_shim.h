#ifndef CMHDSHIM_H
#define CMHDSHIM_H
/* Small C functions for what Swift cannot call directly: libmicrohttpd's variadic entry points,
 * its va_list logger, and sockaddr construction for a configured bind host. */
#include <stdint.h>
#include <microhttpd.h>

/* Receives one formatted libmicrohttpd log line. */
typedef void (*mhd_shim_log_fn)(void *cls, const char *message);

/* Starts a daemon bound to host:port (host may be NULL for all interfaces; numeric IPv4/IPv6 or a
 * resolvable name). `options` is an MHD_OPTION_END-terminated array passed via MHD_OPTION_ARRAY.
 * When `logger` is non-NULL, MHD's error log is formatted and forwarded to it.
 * On failure returns NULL and writes a short reason into `error` (if non-NULL). */
struct MHD_Daemon *mhd_shim_start_daemon(unsigned int flags, const char *host, uint16_t port,
                                         MHD_AccessHandlerCallback handler, void *handler_cls,
                                         const struct MHD_OptionItem *options,
                                         mhd_shim_log_fn logger, void *logger_cls,
                                         char *error, size_t error_len);

/* The port the daemon is bound to (useful with port 0), or 0. */
uint16_t mhd_shim_bound_port(struct MHD_Daemon *daemon);

/* How many headers named `name` (case-insensitive) the request carries. */
unsigned int mhd_shim_count_headers(struct MHD_Connection *connection, const char *name);

/* Total bytes of all request header names and values. */
size_t mhd_shim_header_bytes(struct MHD_Connection *connection);

/* Sets a per-connection inactivity timeout in seconds. */
enum MHD_Result mhd_shim_set_connection_timeout(struct MHD_Connection *connection, unsigned int seconds);

/* The socket of a connection, or -1. */
int mhd_shim_connection_fd(struct MHD_Connection *connection);

/* The peer's numeric address ("127.0.0.1", "::1") into buffer; 0 on success. */
int mhd_shim_client_address(struct MHD_Connection *connection, char *buffer, size_t length);

/* What is wrong with the request head libmicrohttpd accepted, checked on the parsed fields (0.9.75
 * is lenient where a front proxy may not be, which is how requests get smuggled). */
enum mhd_shim_head_anomaly {
    MHD_SHIM_HEAD_OK = 0,
    /* A header name that is not an RFC 9110 token: whitespace before the colon
     * ("Transfer-Encoding : chunked"), spaces or control bytes inside it. */
    MHD_SHIM_HEAD_BAD_NAME = 1,
    /* A header value with CR, LF or NUL in it (libmicrohttpd cuts C strings at NUL, so
     * "Bearer key\0junk" would read as "Bearer key"). */
    MHD_SHIM_HEAD_BAD_VALUE = 2,
    /* More than one Host header. */
    MHD_SHIM_HEAD_DUPLICATE_HOST = 3,
};
enum mhd_shim_head_anomaly mhd_shim_head_anomaly(struct MHD_Connection *connection);

/* The pointer stored for the connection at MHD_CONNECTION_NOTIFY_STARTED, or NULL. */
void *mhd_shim_socket_context(struct MHD_Connection *connection);

/* Answers a request head libmicrohttpd has not answered yet with a bodyless status line
 * ("HTTP/1.1 408 Request Timeout") and `Connection: close`, then shuts the socket down so that
 * libmicrohttpd closes the connection at its next look. For refusals that cannot wait for (or
 * never reach) the access handler: a request that is too slow, or a URI it would choke on. */
void mhd_shim_refuse(struct MHD_Connection *connection, const char *status_line);

#endif
