#include "proxy/parked_connection.hpp"

#include "proxy/session.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

ParkedConnection::ParkedConnection(Worker& w, tcp::socket s, const std::string& name, const ClientOrigin& o,
                                   ConnectionSlot held, bool allow, bool trusted, std::unique_ptr<net::TlsStream> t)
    : worker(w),
      socket(std::move(s)),
      tls(std::move(t)),
      listener(&name),
      origin(o),
      slot(std::move(held)),
      allowed(allow),
      trusted_forwarded(trusted),
      deadline_(w.loop().deadlines(), &ParkedConnection::on_deadline, this) {
    if (tls) {
        tls->rebind(socket);
        tls->trim();  // a cancelled read may have left an empty input block
    }
    worker.park(this);
}

ParkedConnection::~ParkedConnection() { worker.unpark(this); }

void ParkedConnection::on_deadline(void* self) { static_cast<ParkedConnection*>(self)->close(); }

void ParkedConnection::close() {
    error_code ec;
    socket.cancel(ec);
}

void ParkedConnection::shut() {
    if (tls) tls->close_notify_now();
    error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
}

namespace {

// The allocator of the parked wait's operation. Asio's default for a handler without one recycles operation
// memory per thread: a wait would then often sit in a block left by a bigger operation (an accept's, 353 bytes)
// instead of its own 112 bytes, for as long as the connection stays parked.
template <class T>
struct ExactAllocator {
    using value_type = T;
    ExactAllocator() = default;
    template <class U>
    ExactAllocator(const ExactAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
    template <class U>
    bool operator==(const ExactAllocator<U>&) const noexcept { return true; }
    template <class U>
    bool operator!=(const ExactAllocator<U>&) const noexcept { return false; }
};

}  // namespace

// The wait's completion handler: owns the parked connection while the wait is pending (destroying the io_context
// destroys it with the handler), and nothing else.
struct ParkedConnection::Ready {
    std::unique_ptr<ParkedConnection> self;
    using allocator_type = ExactAllocator<void>;
    allocator_type get_allocator() const noexcept { return {}; }
    void operator()(const error_code& ec) { on_ready(std::move(self), ec); }
};

void ParkedConnection::wait(std::unique_ptr<ParkedConnection> self, net::Clock::duration idle_left) {
    if (idle_left <= net::Clock::duration::zero()) {
        self->shut();
        return;  // the socket closes with `self`
    }
    ParkedConnection& p = *self;
    p.deadline_.arm(idle_left, 0);
    // A wait, not a read: a parked connection holds no buffer. The next request's session reads what arrived.
    p.socket.async_wait(tcp::socket::wait_read, Ready{std::move(self)});
}

void ParkedConnection::on_ready(std::unique_ptr<ParkedConnection> self, const error_code& ec) {
    self->deadline_.disarm();
    if (ec || self->deadline_.expired()) {  // idle timeout, drain, retire, or the socket failed
        self->shut();
        return;
    }
    Session::resume(std::move(self));
}

}  // namespace gisgate::proxy
