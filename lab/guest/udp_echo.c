/*
 * udp_echo: UDP echo responder for the lab guest.
 *
 * Binds UDP port 7 (or argv[1]) on 0.0.0.0 and sends every datagram back,
 * byte for byte, to its sender. The prober puts its sequence number in the
 * payload, so echoing it unchanged is the whole protocol. Errors inside the
 * loop are ignored on purpose: the responder must keep answering across
 * failover events. Build: gcc -static -O2 -o udp_echo udp_echo.c
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("udp_echo");
		return 1;
	}
	for (;;) {
		static char buf[65536];
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&peer, &plen);

		if (n >= 0)
			sendto(fd, buf, n, 0, (struct sockaddr *)&peer, plen);
	}
}
