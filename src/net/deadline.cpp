#include "net/deadline.hpp"

namespace gisgate::net {

Deadline::Deadline(DeadlineList& list, Callback on_expire, void* context)
    : list_(list), on_expire_(on_expire), context_(context) {
    list_.link(this);
}

Deadline::~Deadline() { list_.unlink(this); }

void Deadline::arm(Clock::duration after, std::uint8_t kind) {
    at_ = list_.now() + after;
    kind_ = kind;
    armed_ = true;
    expired_ = false;
}

void DeadlineList::link(Deadline* d) {
    d->next_ = head_;
    if (head_) head_->prev_ = d;
    head_ = d;
    ++size_;
}

void DeadlineList::unlink(Deadline* d) {
    if (cursor_ == d) cursor_ = d->next_;
    if (d->prev_) d->prev_->next_ = d->next_;
    else head_ = d->next_;
    if (d->next_) d->next_->prev_ = d->prev_;
    d->prev_ = d->next_ = nullptr;
    --size_;
}

void DeadlineList::sweep() {
    update_now();
    for (Deadline* d = head_; d; d = cursor_) {
        cursor_ = d->next_;
        if (d->armed_ && d->at_ <= now_) d->expire_now();
    }
    cursor_ = nullptr;
}

}  // namespace gisgate::net
