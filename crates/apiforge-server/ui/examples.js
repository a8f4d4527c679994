// Example prompts for the new-project form: cases of the product's corpus
// (`corpus/prompts.jsonl`), verbatim, so every example is one the planner is tested on.

export const EXAMPLES = [
  { id: "library", label: "Library", prompt: "A library API. Books have a title, an ISBN, a publication year and a number of copies. Authors have a name and a birth date. Each book belongs to an author. Members have a name and an email, and can borrow books through loans that record the loan date and the due date." },
  { id: "blog", label: "Blog", prompt: "Build a blogging API with users, posts and comments. A post has a title, a body, a published flag and a status (draft, published or archived). Comments have a body and belong to a post and a user." },
  { id: "todo", label: "Todo list", prompt: "a simple todo list api" },
  { id: "parenthesized", label: "Vet clinic", prompt: "I need an API for a veterinary clinic: Owner(name, phone, email, address), Pet(name, species, breed, birth date, weight in kg), Visit(date, reason, diagnosis, cost). Pets belong to owners, visits belong to pets." },
  { id: "recipes", label: "Recipes", prompt: "Recipes API: recipes with a name, instructions, prep time in minutes, servings and a difficulty level; ingredients with a name and unit; a recipe uses many ingredients with a quantity for each." },
  { id: "auth_roles", label: "Helpdesk with JWT roles", prompt: "Create a REST API for an internal helpdesk with JWT authentication. Agents and admins log in. Tickets have a subject, a description, a priority and a status (open, in progress, resolved, closed); each ticket is assigned to an agent. Only admins can delete tickets." },
];
