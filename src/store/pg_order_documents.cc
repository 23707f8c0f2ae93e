// PgStore: the PDF documents of sign orders with output "pdf" (store/orders.h,
// schema v16). Written with the order (create_document_order) and completed
// with it (finish_document_order), both in pg_orders.cc's transactions.
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

Status insert_order_document(Connection& c, const OrderDocument& d) {
  const std::string pages = pages_text(d.stamped_pages);
  return pg::run(c,
                 "INSERT INTO order_documents (tenant_id, order_id, item_index, prepared_pdf, byte_range_1, "
                 "byte_range_2, byte_range_3, sub_filter, signing_time, field_name, stamped_pages, page_count, "
                 "signed_pdf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)",
                 {d.tenant_id, d.order_id, d.item_index, d.prepared_pdf, static_cast<int64_t>(d.byte_range[1]),
                  static_cast<int64_t>(d.byte_range[2]), static_cast<int64_t>(d.byte_range[3]), d.sub_filter,
                  d.signing_time, d.field_name, pages, d.page_count});
}

Status set_signed_pdf(Connection& c, std::string_view tenant, std::string_view order_id, int item_index,
                      const Bytes& pdf) {
  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
      "UPDATE order_documents SET signed_pdf = $4 WHERE tenant_id = $1 AND order_id = $2 AND item_index = $3 "
      "AND signed_pdf IS NULL",
      {tenant, order_id, item_index, pdf}));
  if (n != 1) return not_found("unsigned order document");
  return Status::Ok();
}

Status check_document_completion(Connection& c, std::string_view tenant, std::string_view order_id,
                                 const std::vector<Bytes>& signed_pdfs) {
  DUET_ASSIGN_OR_RETURN(Rows rows, c.query(
      "SELECT count(*) FROM order_documents WHERE tenant_id = $1 AND order_id = $2", {tenant, order_id}));
  const int64_t documents = rows.empty() ? 0 : rows.get_int(0, 0);
  if (documents != static_cast<int64_t>(signed_pdfs.size()))
    return invalid(documents == 0 ? "the order has no documents" : "a PDF order finishes with one signed PDF per item");
  for (const Bytes& b : signed_pdfs)
    if (b.empty()) return invalid("a signed PDF is empty");
  return Status::Ok();
}

Result<OrderDocument> PgStore::get_order_document(std::string_view tenant_id, std::string_view order_id,
                                                  int item_index) {
  return read_single<OrderDocument>([&](Connection& c) -> Result<OrderDocument> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kOrderDocumentCols, "order_documents", "tenant_id = $1 AND order_id = $2 AND item_index = $3"),
        {tenant_id, order_id, item_index}));
    return first_row<OrderDocument>(r, read_order_document, "order document");
  });
}

Result<OrderDocument> PgStore::get_order_document_info(std::string_view tenant_id, std::string_view order_id,
                                                       int item_index) {
  return read_single<OrderDocument>([&](Connection& c) -> Result<OrderDocument> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kOrderDocumentInfoCols, "order_documents", "tenant_id = $1 AND order_id = $2 AND item_index = $3"),
        {tenant_id, order_id, item_index}));
    return first_row<OrderDocument>(r, read_order_document, "order document");
  });
}

// Hybrid previews (schema v28): replaced as a whole, in one transaction.
Status PgStore::put_order_previews(const WriteContext& context, std::string_view tenant_id,
                                   std::string_view order_id, const std::vector<OrderPreview>& pages) {
  DUET_TRY_STATUS(validate_order_previews(tenant_id, order_id, pages));
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Rows has, c.query("SELECT 1 FROM sign_orders WHERE tenant_id = $1 AND order_id = $2",
                                            {tenant_id, order_id}));
    if (has.empty()) return not_found("order");
    DUET_TRY_STATUS(pg::run(c, "DELETE FROM order_previews WHERE tenant_id = $1 AND order_id = $2",
                            {tenant_id, order_id}));
    for (const OrderPreview& p : pages) {
      DUET_TRY_STATUS(pg::run(c,
                              "INSERT INTO order_previews (tenant_id, order_id, page, page_count, png, uploaded_at) "
                              "VALUES ($1, $2, $3, $4, $5, $6)",
                              {tenant_id, order_id, p.page, p.page_count, p.png, p.uploaded_at}));
    }
    return Status::Ok();
  });
}

Result<std::vector<OrderPreview>> PgStore::list_order_previews(std::string_view tenant_id,
                                                               std::string_view order_id) {
  return read_single<std::vector<OrderPreview>>([&](Connection& c) -> Result<std::vector<OrderPreview>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT page, page_count, uploaded_at FROM order_previews "
                                          "WHERE tenant_id = $1 AND order_id = $2 ORDER BY page",
                                          {tenant_id, order_id}));
    std::vector<OrderPreview> out;
    for (int i = 0; i < r.size(); ++i)
      out.push_back(OrderPreview{std::string(tenant_id), std::string(order_id), static_cast<int>(r.get_int(i, 0)),
                                 static_cast<int>(r.get_int(i, 1)), {}, r.get_int(i, 2)});
    return out;
  });
}

Result<OrderPreview> PgStore::get_order_preview(std::string_view tenant_id, std::string_view order_id, int page) {
  return read_single<OrderPreview>([&](Connection& c) -> Result<OrderPreview> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT page, page_count, png, uploaded_at FROM order_previews "
                                          "WHERE tenant_id = $1 AND order_id = $2 AND page = $3",
                                          {tenant_id, order_id, page}));
    if (r.empty()) return not_found("order preview");
    return OrderPreview{std::string(tenant_id), std::string(order_id), static_cast<int>(r.get_int(0, 0)),
                        static_cast<int>(r.get_int(0, 1)), r.blob(0, 2), r.get_int(0, 3)};
  });
}

}  // namespace duet::store::pg_store
