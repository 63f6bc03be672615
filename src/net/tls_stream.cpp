#include "net/tls_stream.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <new>
#include <vector>

#include <boost/asio/error.hpp>

namespace gisgate::net {

namespace {

// Input blocks, recycled per thread: a busy connection takes one per burst of records and gives it back as soon
// as OpenSSL has every byte, so a worker needs about as many as it has connections reading at once.
class InputBlocks {
public:
    ~InputBlocks() {
        for (char* b : free_) delete[] b;
    }
    char* take() {
        if (free_.empty()) return new char[TlsStream::kBlockSize];
        char* b = free_.back();
        free_.pop_back();
        return b;
    }
    void give(char* b) {
        if (free_.size() < kKept) free_.push_back(b);
        else delete[] b;
    }

private:
    static constexpr std::size_t kKept = 64;
    std::vector<char*> free_;
};

InputBlocks& input_blocks() {
    thread_local InputBlocks blocks;
    return blocks;
}

}  // namespace

// The BIO under each SSL object: reads take the ciphertext TlsStream has read from the socket; writes send
// records straight to the socket (never blocking: EAGAIN is a retry, and TlsStream waits for writability).
struct TlsStream::BioMethods {
    static int write(BIO* bio, const char* data, int size) {
        auto* self = static_cast<TlsStream*>(BIO_get_data(bio));
        BIO_clear_retry_flags(bio);
        const ssize_t n = ::send(self->socket_->native_handle(), data, static_cast<std::size_t>(size),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) return static_cast<int>(n);
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
        else self->last_errno_ = errno;
        return -1;
    }
    static int read(BIO* bio, char* out, int size) {
        auto* self = static_cast<TlsStream*>(BIO_get_data(bio));
        BIO_clear_retry_flags(bio);
        const std::size_t have = self->in_end_ - self->in_begin_;
        if (have == 0) {
            BIO_set_retry_read(bio);  // TlsStream reads the socket and calls OpenSSL again
            return -1;
        }
        const std::size_t n = std::min(have, static_cast<std::size_t>(size));
        const char* base = self->block_ ? self->block_ : self->idle_.data();
        std::memcpy(out, base + self->in_begin_, n);
        self->in_begin_ += static_cast<std::uint32_t>(n);
        if (self->in_begin_ == self->in_end_) self->release_block();
        return static_cast<int>(n);
    }
    static long ctrl(BIO*, int cmd, long, void*) {
        // Records go out as they are written; nothing else is asked of a source/sink BIO.
        return cmd == BIO_CTRL_FLUSH ? 1 : 0;
    }
    static int create(BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
    }
    static int destroy(BIO*) { return 1; }

    static BIO_METHOD* get() {
        static BIO_METHOD* const method = [] {
            BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gisgate socket");
            if (!m) throw std::bad_alloc();
            BIO_meth_set_write(m, &write);
            BIO_meth_set_read(m, &read);
            BIO_meth_set_ctrl(m, &ctrl);
            BIO_meth_set_create(m, &create);
            BIO_meth_set_destroy(m, &destroy);
            return m;
        }();
        return method;
    }
};

TlsStream::TlsStream(tcp::socket& socket, SSL_CTX* ctx, std::shared_ptr<const void> owner)
    : socket_(&socket), owner_(std::move(owner)) {
    ssl_ = SSL_new(ctx);
    if (!ssl_) throw std::bad_alloc();
    BIO* bio = BIO_new(BioMethods::get());
    if (!bio) {
        SSL_free(ssl_);
        throw std::bad_alloc();
    }
    BIO_set_data(bio, this);
    SSL_set_bio(ssl_, bio, bio);  // one reference, owned by the SSL object
    // A retried write may come from a different address (a gathered write's own copy); OpenSSL frees its record
    // buffers whenever they are empty (also set on every context, for the connections of other code).
    SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

TlsStream::~TlsStream() {
    SSL_free(ssl_);
    release_block();
}

void TlsStream::close_notify_now() {
    ERR_clear_error();
    SSL_set_shutdown(ssl_, SSL_RECEIVED_SHUTDOWN);  // the peer's close_notify is not waited for
    SSL_shutdown(ssl_);                             // our BIO never blocks: a full socket just drops it
    ERR_clear_error();
}

char* TlsStream::gather_scratch() {
    thread_local std::unique_ptr<char[]> scratch(new char[kGather]);
    return scratch.get();
}

void TlsStream::release_block() {
    if (!block_) return;
    input_blocks().give(block_);
    block_ = nullptr;
    in_begin_ = in_end_ = 0;
}

asio::mutable_buffer TlsStream::input_space(Kind kind) {
    // OpenSSL asks for more only once it has taken every byte read so far.
    in_begin_ = in_end_ = 0;
    if (!block_) {
        // Between requests nothing is under way: a client connection waits on the small buffer. A record that
        // began already (OpenSSL holds part of it), a handshake, or a server's answer goes into a block.
        if (small_idle_reads_ && kind == Kind::read && SSL_has_pending(ssl_) != 1 && SSL_is_init_finished(ssl_))
            return asio::buffer(idle_);
        block_ = input_blocks().take();
    }
    return asio::buffer(block_, kBlockSize);
}

void TlsStream::on_input(const error_code& ec, std::size_t n) {
    if (ec == asio::error::eof) eof_ = true;
    if (!ec) in_end_ = static_cast<std::uint32_t>(n);  // at most kBlockSize
    if (in_begin_ == in_end_) release_block();
}

TlsStream::Step TlsStream::attempt(Kind kind, asio::mutable_buffer read, const WriteBytes& write, std::size_t& n,
                                   error_code& ec) {
    ERR_clear_error();
    last_errno_ = 0;
    int r = 0;
    switch (kind) {
        case Kind::read: r = SSL_read_ex(ssl_, read.data(), read.size(), &n); break;
        case Kind::write: r = SSL_write_ex(ssl_, write.data, write.size, &n); break;
        case Kind::handshake: r = SSL_do_handshake(ssl_); break;
        case Kind::shutdown:
            r = SSL_shutdown(ssl_);
            if (r >= 0) r = 1;  // close_notify sent; the peer's is not waited for
            break;
    }
    if (r == 1) return Step::done;
    n = 0;
    switch (SSL_get_error(ssl_, r)) {
        case SSL_ERROR_WANT_READ:
            if (kind == Kind::shutdown) return Step::done;
            return Step::want_read;
        case SSL_ERROR_WANT_WRITE: return Step::want_write;
        case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
            ec = asio::error::eof;
            return Step::done;
        case SSL_ERROR_SYSCALL:
            if (last_errno_ != 0) ec = error_code(last_errno_, asio::error::get_system_category());
            else ec = ssl::error::stream_truncated;
            return Step::done;
        default: {
            const unsigned long e = ERR_get_error();
            ec = e ? error_code(static_cast<int>(e), asio::error::get_ssl_category())
                   : error_code(asio::error::fault);
            return Step::done;
        }
    }
}

}  // namespace gisgate::net
