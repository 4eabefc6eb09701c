// A search form sends its empty fields too ("/logs?q=&service=payments&level=&trace_id="): leave them out, so
// that the link of a search, the one an SRE shares, names only what it searches for.
document.addEventListener("formdata", (event) => {
  if (event.target.method.toLowerCase() !== "get") return;
  for (const [name, value] of [...event.formData]) {
    if (value === "") event.formData.delete(name);
  }
});
