#include "sim/iwa.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sim/params.hpp"

namespace gisgate::sim {
namespace {

constexpr std::string_view kSignature{"NTLMSSP\0", 8};
constexpr std::uint32_t kFlagUnicode = 0x00000001;
constexpr std::uint32_t kFlagOem = 0x00000002;
constexpr std::uint32_t kFlagRequestTarget = 0x00000004;
constexpr std::uint32_t kFlagNtlm = 0x00000200;
constexpr std::uint32_t kFlagAlwaysSign = 0x00008000;

std::uint32_t u32(std::string_view m, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(m[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(m[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(m[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(m[at + 3])) << 24;
}
std::uint16_t u16(std::string_view m, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(m[at]) |
                                      static_cast<unsigned char>(m[at + 1]) << 8);
}
void put32(std::string& m, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) m.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put16(std::string& m, std::uint16_t v) {
    m.push_back(static_cast<char>(v & 0xff));
    m.push_back(static_cast<char>(v >> 8));
}
// A security buffer: length, allocated length, offset.
void put_field(std::string& m, std::uint16_t length, std::uint32_t offset) {
    put16(m, length);
    put16(m, length);
    put32(m, offset);
}

// The bytes of a security buffer field at `at`, or nullopt when it points outside the message.
std::optional<std::string_view> field(std::string_view m, std::size_t at) {
    if (m.size() < at + 8) return std::nullopt;
    const std::uint16_t length = u16(m, at);
    const std::uint32_t offset = u32(m, at + 4);
    if (offset > m.size() || length > m.size() - offset) return std::nullopt;
    return m.substr(offset, length);
}

std::string from_utf16le(std::string_view bytes) {  // names are ASCII in practice; others become '?'
    std::string out;
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        const unsigned c = static_cast<unsigned char>(bytes[i]) | static_cast<unsigned char>(bytes[i + 1]) << 8;
        out.push_back(c < 0x80 ? static_cast<char>(c) : '?');
    }
    return out;
}

std::string to_utf16le(std::string_view ascii) {
    std::string out;
    for (const char c : ascii) {
        out.push_back(c);
        out.push_back('\0');
    }
    return out;
}

Reply unauthorized(const std::string& challenge_header) {
    Reply r = text_reply(401, "401 - Unauthorized: Access is denied due to invalid credentials.\n");
    r.headers.emplace_back("WWW-Authenticate", challenge_header);
    return r;
}

std::string challenge_message(const std::array<std::uint8_t, 8>& challenge) {
    std::string m(kSignature);
    put32(m, 2);
    put_field(m, 0, 48);  // target name: empty
    put32(m, kFlagUnicode | kFlagNtlm | kFlagRequestTarget | kFlagAlwaysSign);
    m.append(reinterpret_cast<const char*>(challenge.data()), challenge.size());
    m.append(8, '\0');    // reserved
    put_field(m, 0, 48);  // target info: empty
    return m;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0 || text.size() > 16 * 1024) return std::nullopt;
    std::string out(3 * text.size() / 4 + 1, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    std::size_t size = static_cast<std::size_t>(n);
    // EVP_DecodeBlock counts the bytes the '=' padding stands for.
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
    out.resize(size);
    return out;
}

std::string ntlm_negotiate_message() {
    std::string m(kSignature);
    put32(m, 1);
    put32(m, kFlagUnicode | kFlagOem | kFlagRequestTarget | kFlagNtlm | kFlagAlwaysSign);
    put_field(m, 0, 32);  // domain
    put_field(m, 0, 32);  // workstation
    return m;
}

std::string ntlm_authenticate_message(std::string_view user, std::string_view domain) {
    const std::string user16 = to_utf16le(user), domain16 = to_utf16le(domain);
    const std::string lm(24, '\0'), nt(24, '\x01');  // no proof: the sim checks the binding, not the password
    constexpr std::uint32_t kHeader = 64;
    std::uint32_t at = kHeader;
    std::string m(kSignature);
    put32(m, 3);
    put_field(m, static_cast<std::uint16_t>(lm.size()), at);
    at += static_cast<std::uint32_t>(lm.size());
    put_field(m, static_cast<std::uint16_t>(nt.size()), at);
    at += static_cast<std::uint32_t>(nt.size());
    put_field(m, static_cast<std::uint16_t>(domain16.size()), at);
    at += static_cast<std::uint32_t>(domain16.size());
    put_field(m, static_cast<std::uint16_t>(user16.size()), at);
    at += static_cast<std::uint32_t>(user16.size());
    put_field(m, 0, at);  // workstation
    put_field(m, 0, at);  // session key
    put32(m, kFlagUnicode | kFlagNtlm);
    m += lm + nt + domain16 + user16;
    return m;
}

std::optional<std::array<std::uint8_t, 8>> ntlm_challenge_of(std::string_view type2) {
    if (type2.size() < 32 || type2.substr(0, 8) != kSignature || u32(type2, 8) != 2) return std::nullopt;
    std::array<std::uint8_t, 8> challenge{};
    for (std::size_t i = 0; i < 8; ++i) challenge[i] = static_cast<std::uint8_t>(type2[24 + i]);
    return challenge;
}

std::optional<Reply> ntlm_gate(ConnectionAuth& auth, std::string_view authorization) {
    if (authorization.empty()) {
        if (auth.state == ConnectionAuth::State::authenticated) return std::nullopt;  // the connection is the user's
        auth.state = ConnectionAuth::State::none;
        return unauthorized("NTLM");
    }
    const std::size_t space = authorization.find(' ');
    const std::string_view scheme = authorization.substr(0, space);
    if (!iequals(scheme, "NTLM") || space == std::string_view::npos) {
        auth.state = ConnectionAuth::State::none;
        return unauthorized("NTLM");
    }
    const std::optional<std::string> message = base64_decode(authorization.substr(space + 1));
    if (!message || message->size() < 12 || std::string_view(*message).substr(0, 8) != kSignature)
        return text_reply(400, "Bad NTLM message\n");
    switch (u32(*message, 8)) {
        case 1: {  // NEGOTIATE: a new handshake on this connection (forgets any earlier user)
            auth = {};
            auth.state = ConnectionAuth::State::challenged;
            if (RAND_bytes(auth.challenge.data(), static_cast<int>(auth.challenge.size())) != 1)
                return text_reply(500, "no random bytes\n");
            return unauthorized("NTLM " + base64_encode(challenge_message(auth.challenge)));
        }
        case 3: {  // AUTHENTICATE: only after this connection's own CHALLENGE
            if (auth.state != ConnectionAuth::State::challenged) {
                auth = {};
                return unauthorized("NTLM");
            }
            const std::uint32_t flags = message->size() >= 64 ? u32(*message, 60) : 0;
            const auto domain = field(*message, 28);
            const auto user = field(*message, 36);
            if (!domain || !user || user->empty()) return text_reply(400, "Bad NTLM message\n");
            const bool unicode = (flags & kFlagUnicode) != 0;
            const std::string d = unicode ? from_utf16le(*domain) : std::string(*domain);
            const std::string u = unicode ? from_utf16le(*user) : std::string(*user);
            auth.state = ConnectionAuth::State::authenticated;
            auth.user = d.empty() ? u : d + "\\" + u;
            return std::nullopt;
        }
        default:
            return text_reply(400, "Bad NTLM message\n");
    }
}

}  // namespace gisgate::sim
