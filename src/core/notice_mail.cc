#include "core/notice_mail.h"

#include <cstdio>
#include <string_view>

#include "base/base64.h"
#include "base/civil_time.h"
#include "core/metering.h"

namespace duet::core {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// "2026-12-10 02:00 (UTC+08:00)"
std::string local_time(int64_t t, int offset_minutes) {
  int64_t local = t + static_cast<int64_t>(offset_minutes) * 60;
  int64_t day = floor_div(local, 86400), sec = local - day * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(day, y, m, d);
  int oh = std::abs(offset_minutes) / 60, om = std::abs(offset_minutes) % 60;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld (UTC%c%02d:%02d)", static_cast<long long>(y), m, d,
                static_cast<long long>(sec / 3600), static_cast<long long>(sec % 3600 / 60),
                offset_minutes < 0 ? '-' : '+', oh, om);
  return buf;
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

NoticeMailText notice_mail_text(const store::NoticeMail& mail, int offset) {
  const store::Notice& n = mail.notice;
  NoticeMailText t;
  std::string head = "To " + mail.tenant_name + " / 致 " + mail.tenant_name + ":\n\n";
  std::string foot = "\nNotice " + n.notice_id + ", issued " + local_time(n.created_at, offset) +
                     ". The same notice is in the Business API (GET /api/v1/notices) and, when a notify URL is "
                     "set, was sent to it as a signed webhook.\n本通知亦可通过业务接口 GET /api/v1/notices 查询。\n";
  std::string package = n.package_id.empty() ? std::string() : " " + n.package_id;
  auto window_line = [&]() -> std::string {
    if (!mail.window) return "Starts / 开始: " + (n.effective_at ? local_time(*n.effective_at, offset) : "-") + "\n";
    const store::MaintenanceWindow& w = *mail.window;
    return "Starts / 开始: " + local_time(w.starts_at, offset) + "\nEnds / 结束: " + local_time(w.ends_at, offset) +
           "\n" + (w.description.empty() ? "" : "What / 内容: " + w.description + "\n");
  };
  bool drill = mail.window && mail.window->kind == "fault_drill";
  switch (n.kind) {
    case store::NoticeKind::kUsed80:
    case store::NoticeKind::kUsed90:
    case store::NoticeKind::kUsed100: {
      std::string pct = n.kind == store::NoticeKind::kUsed80 ? "80" : n.kind == store::NoticeKind::kUsed90 ? "90" : "100";
      t.subject = "Duet: package" + package + " is " + pct + " % used / 套餐已使用 " + pct + "%";
      t.body = head + "Your service package" + package + " has used " + pct + " % of its quantity.\n您的服务套餐已使用 " +
               pct + "%。\n";
      break;
    }
    case store::NoticeKind::kExpiring30Days:
    case store::NoticeKind::kExpiring7Days: {
      std::string days = n.kind == store::NoticeKind::kExpiring30Days ? "30" : "7";
      t.subject = "Duet: package" + package + " ends in " + days + " days / 套餐将于 " + days + " 天后到期";
      t.body = head + "Your service package" + package + " ends in " + days +
               " days; what is left of it is void after that.\n您的服务套餐将于 " + days + " 天后到期，到期后剩余量作废。\n";
      break;
    }
    case store::NoticeKind::kEnded:
      t.subject = "Duet: package" + package + " has ended / 套餐已到期";
      t.body = head + "Your service package" + package + " has ended.\n您的服务套餐已到期。\n";
      break;
    case store::NoticeKind::kSignatureV1Cutoff:
      t.subject = "Duet: request-signature v1 is refused from " +
                  (n.effective_at ? local_time(*n.effective_at, offset) : std::string("-"));
      t.body = head + "From " + (n.effective_at ? local_time(*n.effective_at, offset) : std::string("-")) +
               " requests signed with request-signature v1 are refused; sign with X-Duet-Signature-Version: 2.\n"
               "自该时间起，v1 请求签名将被拒绝，请使用 v2。\n";
      break;
    case store::NoticeKind::kMaintenancePlanned:
      t.subject = std::string("Duet: planned ") + (drill ? "fault drill" : "maintenance") + " / 计划" +
                  (drill ? "故障演练" : "维护") + " " +
                  (n.effective_at ? local_time(*n.effective_at, offset) : std::string());
      t.body = head + "The service will be under planned " + (drill ? "fault drill" : "maintenance") +
               " (announced at least 3 working days ahead):\n服务将进行计划" + (drill ? "故障演练" : "维护") +
               "（至少提前 3 个工作日告知）：\n\n" + window_line();
      break;
    case store::NoticeKind::kMaintenanceCancelled:
      t.subject = std::string("Duet: maintenance withdrawn / 计划维护取消 ") +
                  (n.effective_at ? local_time(*n.effective_at, offset) : std::string());
      t.body = head + "The planned maintenance that was to start " +
               (n.effective_at ? local_time(*n.effective_at, offset) : std::string("-")) +
               " is withdrawn.\n原定的计划维护已取消。\n";
      break;
    case store::NoticeKind::kMaintenanceChanged:
      t.subject = std::string("Duet: planned ") + (drill ? "fault drill" : "maintenance") + " changed / 计划" +
                  (drill ? "故障演练" : "维护") + "变更 " +
                  (n.effective_at ? local_time(*n.effective_at, offset) : std::string());
      t.body = head + "The planned " + (drill ? "fault drill" : "maintenance") + " " + mail.subject_id +
               " has been changed; it now takes place:\n计划" + (drill ? "故障演练" : "维护") + " " + mail.subject_id +
               " 已变更，变更后为：\n\n" + window_line() +
               "\nA window moved or extended is announced anew, at least 3 working days ahead.\n"
               "时间提前、推迟或延长的，视为重新告知，仍至少提前 3 个工作日。\n";
      break;
    case store::NoticeKind::kTenantSuspended:
      t.subject = "Duet: service suspended / 服务已暂停";
      t.body = head + "Your service was suspended at " +
               (n.effective_at ? local_time(*n.effective_at, offset) : std::string("-")) +
               ": requests from your applications are refused (403 tenant_suspended) until it is resumed. "
               "Please contact your account manager.\n您的服务已暂停，恢复前业务请求将被拒绝（403 tenant_suspended），"
               "请联系您的客户经理。\n";
      break;
    case store::NoticeKind::kTenantResumed:
      t.subject = "Duet: service resumed / 服务已恢复";
      t.body = head + "Your service was resumed at " +
               (n.effective_at ? local_time(*n.effective_at, offset) : std::string("-")) +
               "; requests from your applications are served again.\n您的服务已恢复，业务请求恢复正常处理。\n";
      break;
    case store::NoticeKind::kSlaTermsChanged:
      t.subject = "Duet: SLA terms changed to " + mail.subject_id + " / 服务水平协议条款变更为 " + mail.subject_id;
      t.body = head + "From " + (n.effective_at ? local_time(*n.effective_at, offset) : std::string("-")) +
               " your contract is judged by SLA-terms version " + mail.subject_id +
               " (availability reports, compensation and claims). The document and its SM3 digest are at "
               "GET /api/v1/sla/terms.\n自该时间起，您的合同适用服务水平协议条款版本 " + mail.subject_id +
               "（可用性报告、赔偿与赔偿申请），条款全文及其 SM3 摘要见 GET /api/v1/sla/terms。\n";
      break;
  }
  t.body += foot;
  return t;
}

std::string render_mail(const std::string& from, const std::string& to, const std::string& message_id,
                        const NoticeMailText& text, int64_t now) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t day = floor_div(now, 86400), sec = now - day * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(day, y, m, d);
  char date[64];
  std::snprintf(date, sizeof date, "%s, %02u %s %04lld %02lld:%02lld:%02lld +0000", kDays[((day % 7) + 7) % 7], d,
                kMonths[m - 1], static_cast<long long>(y), static_cast<long long>(sec / 3600),
                static_cast<long long>(sec % 3600 / 60), static_cast<long long>(sec % 60));
  std::string domain = from.substr(from.find('@') + 1);
  std::string out;
  out += "Date: " + std::string(date) + "\r\n";
  out += "From: <" + from + ">\r\n";
  out += "To: <" + to + ">\r\n";
  out += "Subject: =?UTF-8?B?" + encode_base64(bytes_of(text.subject)) + "?=\r\n";
  out += "Message-ID: <" + message_id + "@" + domain + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Auto-Submitted: auto-generated\r\n\r\n";
  std::string body;
  for (char c : text.body) {
    if (c == '\n') body += "\r\n";
    else body += c;
  }
  std::string b64 = encode_base64(bytes_of(body));
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

std::optional<int64_t> next_mail_attempt(int64_t attempts_done, int64_t now, int64_t max_attempts) {
  if (attempts_done >= max_attempts) return std::nullopt;
  static constexpr int64_t kDelays[] = {60, 300, 900, 3600, 3 * 3600, 6 * 3600};
  int64_t i = attempts_done - 1;
  int64_t delay = i < 0 ? 0 : i < static_cast<int64_t>(std::size(kDelays)) ? kDelays[i] : 12 * 3600;
  return now + delay;
}

}  // namespace duet::core
