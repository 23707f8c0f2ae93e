// Notice e-mails (core/notice_mail.h): the text of a maintenance notice, the
// RFC 5322 rendering (CRLF only, encoded subject, base64 body that decodes
// back), and the retry schedule; the texts of the schema-v30 kinds (a window
// changed, the service suspended and resumed, the SLA terms changed) and the
// kind names core and the store agree on.
#include "core/notice_mail.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "core/metering.h"
#include "store/record_text.h"

namespace duet::core {
namespace {

store::NoticeMail maintenance_mail() {
  store::NoticeMail m;
  m.notice.tenant_id = "ten_a";
  m.notice.notice_id = "ntc_1";
  m.notice.kind = store::NoticeKind::kMaintenancePlanned;
  m.notice.created_at = 1'796'000'000;
  m.notice.effective_at = 1'796'500'000;
  m.tenant_name = "Bank, Inc.";
  m.to = "ops@bank.example";
  store::MaintenanceWindow w;
  w.window_id = "mnt_1";
  w.starts_at = 1'796'500'000;
  w.ends_at = 1'796'503'600;
  w.description = "database upgrade";
  w.kind = "fault_drill";
  m.window = w;
  return m;
}

TEST(NoticeMailTest, MaintenanceTextNamesTheWindowInLocalTime) {
  NoticeMailText t = notice_mail_text(maintenance_mail(), 480);
  EXPECT_NE(t.subject.find("fault drill"), std::string::npos);
  // 1,796,500,000 = 2026-12-05 19:46:40 UTC = 2026-12-06 03:46 at +08:00
  EXPECT_NE(t.body.find("Starts / 开始: 2026-12-06 03:46 (UTC+08:00)"), std::string::npos) << t.body;
  EXPECT_NE(t.body.find("Ends / 结束: 2026-12-06 04:46 (UTC+08:00)"), std::string::npos);
  EXPECT_NE(t.body.find("database upgrade"), std::string::npos);
  EXPECT_NE(t.body.find("Bank, Inc."), std::string::npos);
}

TEST(NoticeMailTest, RenderedMessageIsCrlfWithEncodedSubjectAndBody) {
  NoticeMailText t = notice_mail_text(maintenance_mail(), 480);
  std::string msg = render_mail("duet@ca.example", "ops@bank.example", "ntc_1", t, 1'796'000'000);
  for (size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\n') {
      ASSERT_TRUE(i > 0 && msg[i - 1] == '\r') << "bare LF at " << i;
    }
  }
  EXPECT_NE(msg.find("Date: Mon, 30 Nov 2026 "), std::string::npos) << msg.substr(0, 80);
  EXPECT_NE(msg.find("Message-ID: <ntc_1@ca.example>\r\n"), std::string::npos);
  size_t s = msg.find("Subject: =?UTF-8?B?") + 19;
  std::string enc = msg.substr(s, msg.find("?=", s) - s);
  auto subject = decode_base64(enc);
  ASSERT_TRUE(subject.has_value());
  EXPECT_EQ(std::string(subject->begin(), subject->end()), t.subject);
  std::string b64;
  for (size_t p = msg.find("\r\n\r\n") + 4; p < msg.size();) {
    size_t e = msg.find("\r\n", p);
    EXPECT_LE(e - p, 76u);
    b64 += msg.substr(p, e - p);
    p = e + 2;
  }
  auto body = decode_base64(b64);
  ASSERT_TRUE(body.has_value());
  EXPECT_NE(std::string(body->begin(), body->end()).find("database upgrade\r\n"), std::string::npos);
}

TEST(NoticeMailTest, ChangedMaintenanceNamesTheWindowAndItsNewTimes) {
  store::NoticeMail m = maintenance_mail();
  m.notice.kind = store::NoticeKind::kMaintenanceChanged;
  m.subject_id = "mnt_1";
  m.window->kind = "maintenance";
  m.window->ends_at = 1'796'507'200;  // extended by an hour
  NoticeMailText t = notice_mail_text(m, 480);
  EXPECT_EQ(t.subject, "Duet: planned maintenance changed / 计划维护变更 2026-12-06 03:46 (UTC+08:00)");
  EXPECT_NE(t.body.find("mnt_1 has been changed"), std::string::npos) << t.body;
  EXPECT_NE(t.body.find("Ends / 结束: 2026-12-06 05:46 (UTC+08:00)"), std::string::npos) << t.body;
  EXPECT_NE(t.body.find("at least 3 working days ahead"), std::string::npos);
}

TEST(NoticeMailTest, SuspensionResumptionAndTermsTexts) {
  store::NoticeMail m = maintenance_mail();
  m.window.reset();
  m.notice.effective_at = 1'796'000'000;  // 2026-11-30 08:53 at +08:00
  m.notice.kind = store::NoticeKind::kTenantSuspended;
  NoticeMailText t = notice_mail_text(m, 480);
  EXPECT_EQ(t.subject, "Duet: service suspended / 服务已暂停");
  EXPECT_NE(t.body.find("suspended at 2026-11-30 08:53 (UTC+08:00)"), std::string::npos) << t.body;
  EXPECT_NE(t.body.find("403 tenant_suspended"), std::string::npos);
  m.notice.kind = store::NoticeKind::kTenantResumed;
  t = notice_mail_text(m, 480);
  EXPECT_EQ(t.subject, "Duet: service resumed / 服务已恢复");
  EXPECT_NE(t.body.find("resumed at 2026-11-30 08:53 (UTC+08:00)"), std::string::npos) << t.body;
  m.notice.kind = store::NoticeKind::kSlaTermsChanged;
  m.subject_id = "v2";
  t = notice_mail_text(m, 480);
  EXPECT_EQ(t.subject, "Duet: SLA terms changed to v2 / 服务水平协议条款变更为 v2");
  EXPECT_NE(t.body.find("judged by SLA-terms version v2"), std::string::npos) << t.body;
  EXPECT_NE(t.body.find("GET /api/v1/sla/terms"), std::string::npos);
}

TEST(NoticeMailTest, CoreAndStoreNameEveryKindAlike) {
  using K = store::NoticeKind;
  for (K k : {K::kUsed80, K::kUsed90, K::kUsed100, K::kExpiring30Days, K::kExpiring7Days, K::kEnded,
              K::kSignatureV1Cutoff, K::kMaintenancePlanned, K::kMaintenanceCancelled, K::kMaintenanceChanged,
              K::kTenantSuspended, K::kTenantResumed, K::kSlaTermsChanged}) {
    EXPECT_EQ(notice_kind_name(k), store::record_text::notice_kind_text(k));
    auto parsed = store::record_text::parse_notice_kind(notice_kind_name(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(notice_kind_name(K::kMaintenanceChanged), "maintenance_changed");
  EXPECT_EQ(notice_kind_name(K::kTenantSuspended), "tenant_suspended");
  EXPECT_EQ(notice_kind_name(K::kTenantResumed), "tenant_resumed");
  EXPECT_EQ(notice_kind_name(K::kSlaTermsChanged), "sla_terms_changed");
}

TEST(NoticeMailTest, RetriesBackOffAndEnd) {
  EXPECT_EQ(next_mail_attempt(1, 1000, 8), 1060);
  EXPECT_EQ(next_mail_attempt(2, 1000, 8), 1300);
  EXPECT_EQ(next_mail_attempt(7, 1000, 8), 1000 + 12 * 3600);
  EXPECT_FALSE(next_mail_attempt(8, 1000, 8).has_value());
}

}  // namespace
}  // namespace duet::core
