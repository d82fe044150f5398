// The downloads server and client parts: bodies and checksums against
// known values, the response parser fed whole and byte by byte, and the
// server over real loopback connections (keep-alive, errors, many
// connections at once, loopback only, a clean stop).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "clock.h"
#include "downloads.h"
#include "proc.h"

namespace {

std::string body(uint64_t item, uint64_t size)
{
    std::string text(size, '\0');
    body_fill(item, 0, text.data(), text.size());
    return text;
}

std::string response(int status, const std::string &content)
{
    return "HTTP/1.1 " + std::to_string(status) +
           " Whatever\r\nContent-Type: x\r\nCONTENT-LENGTH: " + std::to_string(content.size()) +
           "\r\n\r\n" + content;
}

// Sends TEXT on FD and reads until the peer closes or a response is complete.
std::string round_trip(int fd, const std::string &text)
{
    EXPECT_EQ(send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        got.append(buf, static_cast<size_t>(n));
        size_t end = got.find("\r\n\r\n");
        if (end == std::string::npos)
            continue;
        size_t length_at = got.find("Content-Length: ");
        size_t length = std::stoul(got.substr(length_at + 16));
        if (got.size() >= end + 4 + length)
            break;
    }
    return got;
}

class Server : public ::testing::Test {
  protected:
    void start(long latency_ms, uint64_t bytes)
    {
        server_config config{latency_ms, bytes};
        ASSERT_EQ(server_start(&server_, &config), 0);
        running_ = true;
    }

    server_stats stop()
    {
        server_stats stats{};
        EXPECT_TRUE(server_stop(&server_, &stats));
        running_ = false;
        return stats;
    }

    void TearDown() override
    {
        if (running_)
            stop();
    }

    int connect() { return connect_blocking(server_.port, 10); }

    fetch get(int fd, uint64_t item, bool close = false)
    {
        char request[160];
        size_t length = request_format(request, sizeof request, server_.port, item, close);
        fetch result{};
        result.item = item;
        EXPECT_TRUE(fetch_on(fd, request, length, clock_now(), &result)) << strerror(result.error);
        return result;
    }

    server server_{};
    bool running_ = false;
};

} // namespace

TEST(Body, IsTheItemsLineRepeated)
{
    EXPECT_EQ(body(7, 40), "000000000000007\n000000000000007\n00000000");
    EXPECT_EQ(body(123456789012345678ull, 16), "456789012345678\n") << "K mod 10^15";
    std::string whole = body(42, 1000);
    char part[100];
    body_fill(42, 333, part, sizeof part);
    EXPECT_EQ(std::string(part, sizeof part), whole.substr(333, 100));
}

// The values Python's zlib.crc32(body(K, N)) gives (downloads.py's body):
// the original and this program judge a body alike.
TEST(BodyCrc, AgreesWithPythonsZlibCrc32)
{
    EXPECT_EQ(body_crc(5, 100000), 0xb7337dd4u);
    EXPECT_EQ(body_crc(7, 40), 0x436b4dc5u);
    EXPECT_EQ(body_crc(123456789012345678ull, 4097), 0x97e91941u) << "one byte past a chunk";
    EXPECT_EQ(body_crc(0, 0), 0u);
}

TEST(Parser, WholeAndByteByByte)
{
    const std::string content = body(3, 5000), text = response(200, content);
    response_parser p;
    parser_init(&p);
    ASSERT_EQ(parser_feed(&p, text.data(), text.size()), PARSE_DONE);
    EXPECT_EQ(p.status, 200);
    EXPECT_EQ(p.body_received, 5000u);
    EXPECT_EQ(p.crc, body_crc(3, 5000));
    parser_init(&p);
    for (size_t i = 0; i + 1 < text.size(); i++)
        ASSERT_EQ(parser_feed(&p, &text[i], 1), PARSE_MORE) << i;
    EXPECT_EQ(parser_feed(&p, &text.back(), 1), PARSE_DONE);
    EXPECT_EQ(p.crc, body_crc(3, 5000));
}

TEST(Parser, EmptyBodyAndOtherStatus)
{
    const std::string text = response(404, "");
    response_parser p;
    parser_init(&p);
    EXPECT_EQ(parser_feed(&p, text.data(), text.size()), PARSE_DONE);
    EXPECT_EQ(p.status, 404);
}

TEST(Parser, RefusesWhatIsNotAResponse)
{
    const char *bad[] = {
        "HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\n",   // no length
        "HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", // not HTTP
        "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc", // more than the body
    };
    for (const char *text : bad) {
        response_parser p;
        parser_init(&p);
        EXPECT_EQ(parser_feed(&p, text, strlen(text)), PARSE_ERROR) << text;
    }
    response_parser p;
    parser_init(&p);
    std::string endless = "HTTP/1.1 200 OK\r\n" + std::string(5000, 'x');
    EXPECT_EQ(parser_feed(&p, endless.data(), endless.size()), PARSE_ERROR) << "head too long";
}

TEST(Fetch, JudgesStatusLengthAndChecksum)
{
    fetch f{};
    f.item = 9;
    f.status = 200;
    f.length = 64;
    f.crc = body_crc(9, 64);
    fetch_judge(&f, 64);
    EXPECT_TRUE(f.right);
    f.crc ^= 1;
    fetch_judge(&f, 64);
    EXPECT_FALSE(f.right) << "wrong checksum";
    f.crc = body_crc(8, 64);
    fetch_judge(&f, 64);
    EXPECT_FALSE(f.right) << "another item's body";
    f.crc = body_crc(9, 64);
    fetch_judge(&f, 65);
    EXPECT_FALSE(f.right) << "wrong length";
}

TEST_F(Server, AnswersAfterItsLatencyOnAKeptConnection)
{
    start(30, 10000);
    int fd = connect();
    ASSERT_GE(fd, 0) << strerror(errno);
    for (uint64_t item : {0ull, 17ull, 999999ull}) {
        double started = clock_now();
        fetch f = get(fd, item);
        EXPECT_GE(clock_since(started), 0.030);
        fetch_judge(&f, 10000);
        EXPECT_TRUE(f.right) << item;
    }
    close(fd);
    server_stats stats = stop();
    EXPECT_EQ(stats.responses, 3u);
    EXPECT_EQ(stats.connections, 1u) << "one connection for three requests";
    EXPECT_EQ(stats.rejected, 0u);
}

TEST_F(Server, ClosesWhenAsked)
{
    start(0, 100);
    int fd = connect();
    ASSERT_GE(fd, 0);
    fetch f = get(fd, 4, true);
    fetch_judge(&f, 100);
    EXPECT_TRUE(f.right);
    char byte;
    EXPECT_EQ(recv(fd, &byte, 1, 0), 0) << "the server closed after its response";
    close(fd);
}

TEST_F(Server, RejectsOtherPathsAndGarbage)
{
    start(0, 100);
    struct Case {
        const char *request;
        const char *status;
    } cases[] = {
        {"GET /nothing HTTP/1.1\r\n\r\n", "HTTP/1.1 404 "},
        {"GET /item/ HTTP/1.1\r\n\r\n", "HTTP/1.1 404 "},
        {"GET /item/12x HTTP/1.1\r\n\r\n", "HTTP/1.1 404 "},
        {"POST /item/1 HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
        {"hello\r\n\r\n", "HTTP/1.1 400 "},
        {"GET /item/1 HTTP/1.1\r\n\r\nGET /item/2 HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
    };
    for (const Case &c : cases) {
        int fd = connect();
        ASSERT_GE(fd, 0);
        std::string got = round_trip(fd, c.request);
        EXPECT_EQ(got.rfind(c.status, 0), 0u) << c.request << " -> " << got;
        close(fd);
    }
    int fd = connect();
    std::string huge = "GET /item/1 HTTP/1.1\r\nX: " + std::string(3000, 'y') + "\r\n\r\n";
    EXPECT_EQ(round_trip(fd, huge).rfind("HTTP/1.1 400 ", 0), 0u) << "a head over 1 KiB";
    close(fd);
    server_stats stats = stop();
    EXPECT_EQ(stats.rejected, 7u);
    EXPECT_EQ(stats.responses, 0u);
}

// Many connections wait at once: the server holds them all, each response
// after the latency counted from its own request.
TEST_F(Server, HoldsManyConnectionsAtOnce)
{
    start(50, 2000);
    std::vector<int> fds;
    for (int i = 0; i < 300; i++) {
        fds.push_back(connect());
        ASSERT_GE(fds.back(), 0) << strerror(errno);
    }
    for (size_t i = 0; i < fds.size(); i++) {
        char request[160];
        size_t length = request_format(request, sizeof request, server_.port, i, false);
        ASSERT_EQ(send(fds[i], request, length, MSG_NOSIGNAL), static_cast<ssize_t>(length));
    }
    for (size_t i = 0; i < fds.size(); i++) {
        response_parser p;
        parser_init(&p);
        char buf[4096];
        enum parse_status status = PARSE_MORE;
        while (status == PARSE_MORE) {
            ssize_t n = recv(fds[i], buf, sizeof buf, 0);
            ASSERT_GT(n, 0);
            status = parser_feed(&p, buf, static_cast<size_t>(n));
        }
        ASSERT_EQ(status, PARSE_DONE);
        EXPECT_EQ(p.crc, body_crc(i, 2000)) << i;
        close(fds[i]);
    }
    server_stats stats = stop();
    EXPECT_EQ(stats.responses, 300u);
    EXPECT_EQ(stats.most_open, 300u);
}

TEST_F(Server, ListensOnLoopbackOnly)
{
    start(0, 10);
    // /proc/net/tcp: local address as hex IP:port, state 0A = LISTEN.
    std::ifstream table("/proc/net/tcp");
    std::string line;
    char wanted[16];
    snprintf(wanted, sizeof wanted, ":%04X", server_.port);
    int listening = 0;
    while (std::getline(table, line)) {
        char local[64] = "", remote[64] = "", state[8] = "";
        if (sscanf(line.c_str(), "%*s %63s %63s %7s", local, remote, state) != 3)
            continue;
        std::string address(local);
        if (std::string(state) != "0A" || address.size() < 5 ||
            address.substr(address.size() - 5) != wanted)
            continue;
        listening++;
        EXPECT_EQ(address.substr(0, 8), "0100007F") << "127.0.0.1, nothing else: " << line;
    }
    EXPECT_EQ(listening, 1);
}

TEST_F(Server, StopsCleanlyAndLeavesNothing)
{
    int fds_before = proc_open_fd_count();
    start(10, 100);
    int fd = connect();
    ASSERT_GE(fd, 0);
    fetch f = get(fd, 1);
    fetch_judge(&f, 100);
    EXPECT_TRUE(f.right);
    stop(); // with the connection still open
    close(fd);
    EXPECT_FALSE(proc_has_children());
    EXPECT_EQ(proc_open_fd_count(), fds_before);
}

TEST(Client, ConnectFailsClearlyWhenNobodyListens)
{
    // A port that was just free: bind, read the number, close.
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr *>(&address), &length), 0);
    close(probe);
    errno = 0;
    EXPECT_EQ(connect_blocking(ntohs(address.sin_port), 1), -1);
    EXPECT_EQ(errno, ECONNREFUSED);
}
