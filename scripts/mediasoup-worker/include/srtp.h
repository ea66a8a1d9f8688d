// Bridges mediasoup's libsrtp "3.0-alpha" API to Debian's libsrtp 2.5.
//
// Since 3.13.19 mediasoup's libsrtp2 wrap points at versatica's "3.0-alpha"
// fork, which differs from libsrtp 2.5 only in the names/types adapted below.
// Debian 12 ships 2.5 only, so this header is put first on the include path
// (via the libsrtp2 shim subproject) and mediasoup's `#include <srtp.h>` lands
// here instead of editing mediasoup's sources.
#pragma once

#include <srtp2/srtp.h>

#include <climits>
#include <cstddef>
#include <cstdint>

namespace sealroom_srtp_adapter
{
	// 2.5 takes `int*` lengths, 3.0-alpha `size_t*`. Lengths are bounded by the
	// worker's MTU-sized buffers, so the narrowing is safe; refuse it anyway if not.
	template<typename Fn>
	inline srtp_err_status_t WithIntLen(Fn fn, size_t* len)
	{
		if (*len > static_cast<size_t>(INT_MAX))
			return srtp_err_status_bad_param;

		int intLen = static_cast<int>(*len);
		const srtp_err_status_t err = fn(&intLen);

		if (err == srtp_err_status_ok)
			*len = static_cast<size_t>(intLen);

		return err;
	}
} // namespace sealroom_srtp_adapter

// C++ overloads next to 2.5's extern "C" functions (different parameter
// types, so no clash); mediasoup's size_t* call sites resolve to these.
inline srtp_err_status_t srtp_protect(srtp_t ctx, void* hdr, size_t* len)
{
	return sealroom_srtp_adapter::WithIntLen([&](int* l) { return srtp_protect(ctx, hdr, l); }, len);
}

inline srtp_err_status_t srtp_unprotect(srtp_t ctx, void* hdr, size_t* len)
{
	return sealroom_srtp_adapter::WithIntLen([&](int* l) { return srtp_unprotect(ctx, hdr, l); }, len);
}

inline srtp_err_status_t srtp_protect_rtcp(srtp_t ctx, void* hdr, size_t* len)
{
	return sealroom_srtp_adapter::WithIntLen(
	  [&](int* l) { return srtp_protect_rtcp(ctx, hdr, l); }, len);
}

inline srtp_err_status_t srtp_unprotect_rtcp(srtp_t ctx, void* hdr, size_t* len)
{
	return sealroom_srtp_adapter::WithIntLen(
	  [&](int* l) { return srtp_unprotect_rtcp(ctx, hdr, l); }, len);
}

// Pure rename in 3.0-alpha; both take the SSRC in network byte order.
inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return srtp_remove_stream(session, ssrc);
}
