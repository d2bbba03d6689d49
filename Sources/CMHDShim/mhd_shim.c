#include "mhd_shim.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Every daemon in the process forwards to the same Swift function, which finds its server
 * through the context pointer; so one function pointer, written before any daemon starts, is enough. */
static mhd_shim_log_fn shim_log_fn = NULL;

static void shim_log_trampoline(void *cls, const char *fmt, va_list ap) {
    char buffer[1024];
    vsnprintf(buffer, sizeof buffer, fmt, ap);
    size_t n = strlen(buffer);
    while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r')) buffer[--n] = '\0';
    mhd_shim_log_fn fn = __atomic_load_n(&shim_log_fn, __ATOMIC_ACQUIRE);
    if (fn) fn(cls, buffer);
}

struct MHD_Daemon *mhd_shim_start_daemon(unsigned int flags, const char *host, uint16_t port,
                                         MHD_AccessHandlerCallback handler, void *handler_cls,
                                         const struct MHD_OptionItem *options,
                                         mhd_shim_log_fn logger, void *logger_cls,
                                         char *error, size_t error_len) {
    struct sockaddr_storage address;
    memset(&address, 0, sizeof address);
    int have_address = 0;
    if (host != NULL && host[0] != '\0') {
        struct addrinfo hints, *result = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        int rc = getaddrinfo(host, NULL, &hints, &result);
        if (rc != 0 || result == NULL) {
            if (error) snprintf(error, error_len, "cannot resolve host '%s': %s", host, gai_strerror(rc));
            return NULL;
        }
        memcpy(&address, result->ai_addr, result->ai_addrlen);
        freeaddrinfo(result);
        if (address.ss_family == AF_INET) {
            ((struct sockaddr_in *)&address)->sin_port = htons(port);
        } else if (address.ss_family == AF_INET6) {
            ((struct sockaddr_in6 *)&address)->sin6_port = htons(port);
            flags |= MHD_USE_IPv6;
        }
        have_address = 1;
    }
    void *log_ctx = NULL;
    if (logger != NULL) {
        __atomic_store_n(&shim_log_fn, logger, __ATOMIC_RELEASE);
        log_ctx = logger_cls;
        flags |= MHD_USE_ERROR_LOG;
    }
    struct MHD_Daemon *daemon;
    if (have_address && log_ctx) {
        daemon = MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                                  MHD_OPTION_EXTERNAL_LOGGER, shim_log_trampoline, log_ctx,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                                  MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    } else if (have_address) {
        daemon = MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                                  MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    } else if (log_ctx) {
        daemon = MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                                  MHD_OPTION_EXTERNAL_LOGGER, shim_log_trampoline, log_ctx,
                                  MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    } else {
        daemon = MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                                  MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    }
    if (daemon == NULL && error) snprintf(error, error_len, "libmicrohttpd could not start on port %u", port);
    return daemon;
}

uint16_t mhd_shim_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

struct count_ctx {
    const char *name;
    unsigned int count;
};

static enum MHD_Result count_iterator(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind; (void)value;
    struct count_ctx *ctx = (struct count_ctx *)cls;
    if (key && strcasecmp(key, ctx->name) == 0) ctx->count++;
    return MHD_YES;
}

unsigned int mhd_shim_count_headers(struct MHD_Connection *connection, const char *name) {
    struct count_ctx ctx = { name, 0 };
    MHD_get_connection_values(connection, MHD_HEADER_KIND, count_iterator, &ctx);
    return ctx.count;
}

static enum MHD_Result size_iterator(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    size_t *total = (size_t *)cls;
    if (key) *total += strlen(key);
    if (value) *total += strlen(value);
    return MHD_YES;
}

size_t mhd_shim_header_bytes(struct MHD_Connection *connection) {
    size_t total = 0;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, size_iterator, &total);
    return total;
}

enum MHD_Result mhd_shim_set_connection_timeout(struct MHD_Connection *connection, unsigned int seconds) {
    return MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

int mhd_shim_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

int mhd_shim_client_address(struct MHD_Connection *connection, char *buffer, size_t length) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL || length == 0) return -1;
    socklen_t size = info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    return getnameinfo(info->client_addr, size, buffer, length, NULL, 0, NI_NUMERICHOST) == 0 ? 0 : -1;
}

/* RFC 9110 tchar: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA */
static int is_token_byte(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return strchr("!#$%&'*+-.^_`|~", c) != NULL && c != '\0';
}

#define MHD_SHIM_MAX_CHECKED_HEADERS 256

struct header_span {
    const char *key;
    const char *value;
    size_t value_size;
};

struct anomaly_ctx {
    enum mhd_shim_head_anomaly found;
    unsigned int hosts;
    size_t count;
    struct header_span spans[MHD_SHIM_MAX_CHECKED_HEADERS];
};

static enum MHD_Result anomaly_iterator(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                        const char *value, size_t value_size) {
    (void)kind;
    struct anomaly_ctx *ctx = (struct anomaly_ctx *)cls;
    if (key == NULL || key_size == 0) { ctx->found = MHD_SHIM_HEAD_BAD_NAME; return MHD_NO; }
    for (size_t i = 0; i < key_size; i++) {
        if (!is_token_byte((unsigned char)key[i])) { ctx->found = MHD_SHIM_HEAD_BAD_NAME; return MHD_NO; }
    }
    for (size_t i = 0; value != NULL && i < value_size; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == '\r' || c == '\n' || c == '\0') { ctx->found = MHD_SHIM_HEAD_BAD_VALUE; return MHD_NO; }
    }
    if (key_size == 4 && strncasecmp(key, "Host", 4) == 0 && ++ctx->hosts > 1) {
        ctx->found = MHD_SHIM_HEAD_DUPLICATE_HOST;
        return MHD_NO;
    }
    if (ctx->count < MHD_SHIM_MAX_CHECKED_HEADERS) {
        ctx->spans[ctx->count].key = key;
        ctx->spans[ctx->count].value = value;
        ctx->spans[ctx->count].value_size = value_size;
        ctx->count++;
    }
    return MHD_YES;
}

static int is_terminator(unsigned char c) { return c == '\0' || c == '\r' || c == '\n'; }

/* libmicrohttpd parses the head in place and measures a value up to its first NUL, so
 * "Authorization: Bearer key\0junk" arrives as "Bearer key". The bytes are still in its buffer, in
 * order: after a value come optional whitespace, the line terminator (which the parser overwrote
 * with NUL bytes: one or two), then the next header's name, or for the last header the blank line.
 * Anything else between a value and the next line is a NUL the client sent, hiding bytes. */
static int hides_bytes(const struct header_span *span, const char *next_key) {
    if (span->value == NULL) return 0;
    const unsigned char *p = (const unsigned char *)span->value + span->value_size;
    while (*p == ' ' || *p == '\t') p++;
    if (!is_terminator(*p)) return 1;
    const unsigned char *q = p;
    while (q - p < 2 && is_terminator(*q) && (next_key == NULL || (const char *)q != next_key)) q++;
    /* Between two header lines the terminator is CRLF, two bytes: a single one is a bare LF (or a
     * bare CR), which a front proxy may read differently — the classic way to smuggle a header. */
    if (next_key != NULL) return (const char *)q != next_key || q - p != 2;
    return !is_terminator(*q);
}

enum mhd_shim_head_anomaly mhd_shim_head_anomaly(struct MHD_Connection *connection) {
    static __thread struct anomaly_ctx ctx;
    ctx.found = MHD_SHIM_HEAD_OK;
    ctx.hosts = 0;
    ctx.count = 0;
    MHD_get_connection_values_n(connection, MHD_HEADER_KIND, anomaly_iterator, &ctx);
    if (ctx.found != MHD_SHIM_HEAD_OK) return ctx.found;
    for (size_t i = 0; i < ctx.count; i++) {
        const char *next = i + 1 < ctx.count ? ctx.spans[i + 1].key : NULL;
        if (hides_bytes(&ctx.spans[i], next)) return MHD_SHIM_HEAD_BAD_VALUE;
    }
    return MHD_SHIM_HEAD_OK;
}

void *mhd_shim_socket_context(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

void mhd_shim_refuse(struct MHD_Connection *connection, const char *status_line) {
    int fd = mhd_shim_connection_fd(connection);
    if (fd < 0) return;
    char buffer[256];
    int n = snprintf(buffer, sizeof buffer, "%s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status_line);
    if (n > 0 && (size_t)n < sizeof buffer) {
        /* Best effort on a socket we are about to shut down: a short or failed write only means the
         * client sees the close without the status line. */
        ssize_t written = send(fd, buffer, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)written;
    }
    shutdown(fd, SHUT_RDWR);
}
