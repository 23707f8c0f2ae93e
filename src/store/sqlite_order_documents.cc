// SqliteStore: the PDF documents of sign orders with output "pdf" (store/orders.h,
// schema v16). Written with the order (create_document_order) and completed
// with it (finish_document_order), both in sqlite_orders.cc's transactions.
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

Status insert_order_document(Connection& c, const OrderDocument& d) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "INSERT INTO order_documents (tenant_id, order_id, item_index, prepared_pdf, byte_range_1, byte_range_2, "
      "byte_range_3, sub_filter, signing_time, field_name, stamped_pages, page_count, signed_pdf) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NULL)"));
  st.bind(1, d.tenant_id).bind(2, d.order_id).bind(3, d.item_index).bind(4, d.prepared_pdf)
      .bind(5, static_cast<int64_t>(d.byte_range[1])).bind(6, static_cast<int64_t>(d.byte_range[2]))
      .bind(7, static_cast<int64_t>(d.byte_range[3])).bind(8, d.sub_filter).bind(9, d.signing_time)
      .bind(10, d.field_name).bind(11, pages_text(d.stamped_pages)).bind(12, d.page_count);
  return st.run();
}

Status set_signed_pdf(Connection& c, std::string_view tenant, std::string_view order_id, int item_index,
                      const Bytes& pdf) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "UPDATE order_documents SET signed_pdf = ?4 WHERE tenant_id = ?1 AND order_id = ?2 AND item_index = ?3 "
      "AND signed_pdf IS NULL"));
  st.bind(1, tenant).bind(2, order_id).bind(3, item_index).bind(4, pdf);
  DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
  if (n != 1) return not_found("unsigned order document");
  return Status::Ok();
}

Status check_document_completion(Connection& c, std::string_view tenant, std::string_view order_id,
                                 const std::vector<Bytes>& signed_pdfs) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT count(*) FROM order_documents WHERE tenant_id = ?1 AND order_id = ?2"));
  st.bind(1, tenant).bind(2, order_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  const int64_t documents = row ? st.column_int(0) : 0;
  if (documents != static_cast<int64_t>(signed_pdfs.size()))
    return invalid(documents == 0 ? "the order has no documents" : "a PDF order finishes with one signed PDF per item");
  for (const Bytes& b : signed_pdfs)
    if (b.empty()) return invalid("a signed PDF is empty");
  return Status::Ok();
}

Result<OrderDocument> SqliteStore::get_order_document(std::string_view tenant_id, std::string_view order_id,
                                                      int item_index) {
  return read<OrderDocument>([&](Connection& c) -> Result<OrderDocument> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kOrderDocumentCols, "order_documents", "tenant_id = ?1 AND order_id = ?2 AND item_index = ?3")));
    st.bind(1, tenant_id).bind(2, order_id).bind(3, item_index);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Unexpected{not_found("order document").error()};
    return read_order_document(st);
  });
}

Result<OrderDocument> SqliteStore::get_order_document_info(std::string_view tenant_id, std::string_view order_id,
                                                           int item_index) {
  return read<OrderDocument>([&](Connection& c) -> Result<OrderDocument> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kOrderDocumentInfoCols, "order_documents", "tenant_id = ?1 AND order_id = ?2 AND item_index = ?3")));
    st.bind(1, tenant_id).bind(2, order_id).bind(3, item_index);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Unexpected{not_found("order document").error()};
    return read_order_document(st);
  });
}

// Hybrid previews (schema v28): replaced as a whole, in one transaction.
Status SqliteStore::put_order_previews(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view order_id, const std::vector<OrderPreview>& pages) {
  DUET_TRY_STATUS(validate_order_previews(tenant_id, order_id, pages));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement has, Statement::prepare(c,
        "SELECT 1 FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2"));
    has.bind(1, tenant_id).bind(2, order_id);
    DUET_ASSIGN_OR_RETURN(bool found, has.step());
    if (!found) return not_found("order");
    DUET_ASSIGN_OR_RETURN(Statement del, Statement::prepare(c,
        "DELETE FROM order_previews WHERE tenant_id = ?1 AND order_id = ?2"));
    del.bind(1, tenant_id).bind(2, order_id);
    DUET_TRY_STATUS(del.run());
    for (const OrderPreview& p : pages) {
      DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c,
          "INSERT INTO order_previews (tenant_id, order_id, page, page_count, png, uploaded_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      ins.bind(1, tenant_id).bind(2, order_id).bind(3, p.page).bind(4, p.page_count).bind(5, p.png)
          .bind(6, p.uploaded_at);
      DUET_TRY_STATUS(ins.run());
    }
    return Status::Ok();
  });
}

Result<std::vector<OrderPreview>> SqliteStore::list_order_previews(std::string_view tenant_id,
                                                                   std::string_view order_id) {
  return read<std::vector<OrderPreview>>([&](Connection& c) -> Result<std::vector<OrderPreview>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT page, page_count, uploaded_at FROM order_previews WHERE tenant_id = ?1 AND order_id = ?2 "
        "ORDER BY page"));
    st.bind(1, tenant_id).bind(2, order_id);
    std::vector<OrderPreview> out;
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(OrderPreview{std::string(tenant_id), std::string(order_id), static_cast<int>(st.column_int(0)),
                                 static_cast<int>(st.column_int(1)), {}, st.column_int(2)});
    }
    return out;
  });
}

Result<OrderPreview> SqliteStore::get_order_preview(std::string_view tenant_id, std::string_view order_id, int page) {
  return read<OrderPreview>([&](Connection& c) -> Result<OrderPreview> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT page, page_count, png, uploaded_at FROM order_previews WHERE tenant_id = ?1 AND order_id = ?2 "
        "AND page = ?3"));
    st.bind(1, tenant_id).bind(2, order_id).bind(3, page);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Unexpected{not_found("order preview").error()};
    return OrderPreview{std::string(tenant_id), std::string(order_id), static_cast<int>(st.column_int(0)),
                        static_cast<int>(st.column_int(1)), st.column_blob(2), st.column_int(3)};
  });
}

}  // namespace duet::store::sqlite_store
